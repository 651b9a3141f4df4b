"""Event types and the integration URL each is delivered to (SPEC §3 event table)."""

EVENT_TYPE_URL_FIELD: dict[str, str] = {
    "SUBSCRIPTION_ORDER": "createUrl",
    "SUBSCRIPTION_CHANGE": "upgradeUrl",
    "SUBSCRIPTION_CANCEL": "cancelUrl",
    "SUBSCRIPTION_NOTICE": "notifyUrl",
    "SUBSCRIPTION_STATUS": "eventStatusUrl",
    "USER_ASSIGNMENT": "assignUrl",
    "USER_UNASSIGNMENT": "unassignUrl",
    "USER_UPDATED": "userUpdatedUrl",
    "ADDON_ORDER": "addonNotificationUrl",
    "ADDON_CHANGE": "addonNotificationUrl",
    "ADDON_CANCEL": "addonNotificationUrl",
}
EVENT_TYPES = tuple(EVENT_TYPE_URL_FIELD)
