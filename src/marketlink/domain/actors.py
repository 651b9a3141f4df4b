"""Who is calling, and the rules of tenancy: a developer sees only its own vendor, a company
administrator only its own buying company."""

from dataclasses import dataclass
from enum import Enum

# A listing's vendor scope that matches no vendor (ids are UUIDs): a company administrator's.
NO_VENDOR = ""


class Role(str, Enum):
    ADMIN = "ADMIN"
    DEVELOPER = "DEVELOPER"
    COMPANY_ADMIN = "COMPANY_ADMIN"  # console only (ADR 0014): one buying company


# The roles an API token can carry; a company administrator acts through the console only.
API_TOKEN_ROLES = (Role.ADMIN, Role.DEVELOPER)


@dataclass(frozen=True)
class Actor:
    role: Role
    vendor_id: str | None
    token_id: str | None = None
    company_id: str | None = None  # a COMPANY_ADMIN's company

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_company_admin(self) -> bool:
        return self.role is Role.COMPANY_ADMIN

    def can_see_vendor(self, vendor_id: str) -> bool:
        """Admins see every vendor, a developer only its own, a company administrator none.
        Others read as not found."""
        return self.is_admin or (self.role is Role.DEVELOPER and self.vendor_id == vendor_id)

    def vendor_scope(self) -> str | None:
        """The vendor a listing is restricted to (None: all vendors, for admins; ``NO_VENDOR``
        for a company administrator, who sees no vendor's objects)."""
        if self.is_admin:
            return None
        return self.vendor_id if self.role is Role.DEVELOPER and self.vendor_id else NO_VENDOR

    def can_manage_company(self, company_id: str | None) -> bool:
        """Admins manage every buying company, a company administrator its own; nobody else
        any (another company's objects read as not found)."""
        return self.is_admin or (self.is_company_admin and company_id is not None
                                 and self.company_id == company_id)
