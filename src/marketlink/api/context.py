"""What every resolver gets: the caller, the database and the domain's services."""

from dataclasses import dataclass

import strawberry

from marketlink.domain.actors import Actor
from marketlink.domain.services import Services
from marketlink.storage.database import Database


@dataclass(frozen=True)
class Context:
    actor: Actor
    db: Database
    services: Services


Info = strawberry.Info[Context, None]
