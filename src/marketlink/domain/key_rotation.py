"""``marketlink keys rotate``: every stored secret encrypted with a key other than the one
that encrypts now is decrypted and encrypted again, a batch per short write transaction, so
the API and workers keep running. Processes must already know every key involved
(``MARKETLINK_ENCRYPTION_KEYS``, docs/adr/0004)."""

from dataclasses import dataclass

from marketlink.domain.services import Services
from marketlink.storage import encrypted_columns as store
from marketlink.storage.database import Database

BATCH = 200


@dataclass(frozen=True)
class Rotated:
    column: str  # table.column
    re_encrypted: int
    already_current: int


async def rotate_encryption(db: Database, services: Services) -> list[Rotated]:
    """Re-encrypt every secret with the current key; per column, what was done. A value that
    cannot be decrypted (its key is not configured) raises ``ValueError`` naming the key, after
    the batches before it were committed; running again resumes."""
    report = []
    for table, key, value in store.ENCRYPTED:
        re_encrypted = current = 0
        after: str | None = None
        while True:
            async with db.read() as conn:
                rows = await store.encrypted_after(conn, key, value, after, BATCH)
            stale = [row for row in rows if not services.keyring.is_current(row["value"])]
            current += len(rows) - len(stale)
            if stale:
                async with db.write() as conn:
                    for row in stale:
                        fresh = services.keyring.encrypt(services.keyring.decrypt(row["value"]))
                        re_encrypted += await store.replace_encrypted(
                            conn, table, key, value, row["key"], row["value"], fresh)
            if len(rows) < BATCH:
                break
            after = rows[-1]["key"]
        report.append(Rotated(f"{table.name}.{value.name}", re_encrypted, current))
    return report
