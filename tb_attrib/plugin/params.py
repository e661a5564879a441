"""Query-parameter parsing for the plugin's routes.

Every route's parameters are plain strings in the query (``docs/format.md``). Anything a
client can get wrong becomes a :class:`tensorboard.errors.InvalidArgumentError` (HTTP 400)
with a short message here, so the route code only ever sees well-formed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tensorboard import errors

MAX_STRING_LENGTH = 4096
"""Longest run, tag or layer name accepted; longer values cannot name a series."""

_DECIMAL = re.compile(r"[0-9]{1,9}")  # below 2**31: a valid step and index everywhere


def string(args: Mapping, name: str, *, required: bool) -> str | None:
    """Returns the single non-empty value of ``name``, or None when optional and absent.

    Raises:
      InvalidArgumentError: Missing while required, repeated, empty or too long.
    """
    values = args.getlist(name)
    if not values:
        if required:
            raise errors.InvalidArgumentError(f"missing parameter {name!r}")
        return None
    if len(values) > 1:
        raise errors.InvalidArgumentError(f"parameter {name!r} given more than once")
    value = values[0]
    if not value:
        raise errors.InvalidArgumentError(f"parameter {name!r} is empty")
    if len(value) > MAX_STRING_LENGTH:
        raise errors.InvalidArgumentError(f"parameter {name!r} is too long")
    return value


def non_negative_int(args: Mapping, name: str, *, required: bool) -> int | None:
    """Returns ``name`` parsed as a plain decimal integer in ``[0, 10**9)``.

    Signs, spaces, underscores, exponents and non-ASCII digits are rejected: the contract
    says "non-negative decimal integer", and Python's ``int()`` accepts far more.

    Raises:
      InvalidArgumentError: Missing while required, repeated, malformed or out of range.
    """
    value = string(args, name, required=required)
    if value is None:
        return None
    if not _DECIMAL.fullmatch(value):
        raise errors.InvalidArgumentError(
            f"parameter {name!r} must be a non-negative decimal integer below 10**9"
        )
    return int(value)
