"""How an item id maps to the id of its OCFL object.

OCFL recommends URIs as object ids (validators warn otherwise); item ids stay short for URLs.
"""

OBJECT_ID_PREFIX = "urn:muniment:item:"


def object_id(item_id: str) -> str:
    return OBJECT_ID_PREFIX + item_id


def item_id_from_object(object_id: str) -> str:
    if not object_id.startswith(OBJECT_ID_PREFIX):
        raise ValueError(f"{object_id!r} is not a Muniment item object id")
    return object_id[len(OBJECT_ID_PREFIX) :]
