"""Who is calling, and the one rule of tenancy: a developer sees only its own vendor."""

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    ADMIN = "ADMIN"
    DEVELOPER = "DEVELOPER"


@dataclass(frozen=True)
class Actor:
    role: Role
    vendor_id: str | None
    token_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_see_vendor(self, vendor_id: str) -> bool:
        """Admins see every vendor, a developer only its own. Others read as not found."""
        return self.is_admin or self.vendor_id == vendor_id

    def vendor_scope(self) -> str | None:
        """The vendor a listing is restricted to (None: all vendors, for admins)."""
        return None if self.is_admin else self.vendor_id
