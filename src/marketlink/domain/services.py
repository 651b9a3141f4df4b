"""What domain commands need besides a connection: made once at start, passed explicitly."""

from dataclasses import dataclass

from marketlink.clock import Clock
from marketlink.config import Settings
from marketlink.crypto import Keyring


@dataclass(frozen=True)
class Services:
    settings: Settings
    keyring: Keyring
    clock: Clock
