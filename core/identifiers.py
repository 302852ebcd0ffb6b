"""Short random identifiers that people can read out on the phone."""

import secrets

# Crockford-style: no 0/O, 1/I/L, so a spoken or handwritten code is unambiguous.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(prefix: str, length: int = 8) -> str:
    """Return e.g. ``GU-7K3M-9Q2X``: a prefix and random groups of four characters."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(length))
    groups = [chars[i : i + 4] for i in range(0, length, 4)]
    return "-".join([prefix, *groups])
