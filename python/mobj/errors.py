# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Exceptions: every failing /dev/mobj command raises an OSError subclass.

The errno table is the one in <linux/mobj.h> ("DOC: General ioctl format").
Each exception carries ``errno`` and ``strerror`` like any OSError, and
``filename`` names the command that failed (e.g. ``'MOBJ_SLOT_GET'``).
"""

import errno as _errno
import os as _os
from typing import Dict, Optional, Type

__all__ = [
    "MobjError", "NoSuchHandle", "InvalidArgument", "SlotIndexError",
    "PayloadTooLarge", "TooManySlots", "LimitExceeded", "StaleHandle",
    "ObjectDead", "NotSupported", "error_from_errno",
]


class MobjError(OSError):
    """A /dev/mobj command failed; ``errno`` says why."""


class NoSuchHandle(MobjError):
    """ENOENT: no such handle in this open file (closed, or never made)."""


class InvalidArgument(MobjError, ValueError):
    """EINVAL: a bad value, an unknown flag, or a weak handle where a strong
    one is needed."""


class SlotIndexError(MobjError, IndexError):
    """ERANGE: slot index or payload offset out of range."""


class PayloadTooLarge(MobjError):
    """EMSGSIZE: the payload is longer than the module's data_max."""


class TooManySlots(MobjError):
    """EFBIG: the object would have more than slots_max slots."""


class LimitExceeded(MobjError):
    """EDQUOT, ENOSPC or EMFILE: a per-client or per-device limit."""


class StaleHandle(MobjError):
    """ESTALE: the object a weak handle referred to has died."""


#: The Python name for ESTALE: what a weak reference finds once it is dead.
ObjectDead = StaleHandle


class NotSupported(MobjError):
    """ENOTTY: the loaded module does not know this command."""


class NotPermitted(MobjError, PermissionError):
    """EPERM: the collector's settings and freeze need CAP_SYS_ADMIN, and
    a type name belongs to the user that set it."""


class NameTaken(MobjError, FileExistsError):
    """EEXIST: another type tag already has this name."""


_BY_ERRNO: Dict[int, Type[MobjError]] = {
    _errno.ENOENT: NoSuchHandle,
    _errno.EINVAL: InvalidArgument,
    _errno.ERANGE: SlotIndexError,
    _errno.EMSGSIZE: PayloadTooLarge,
    _errno.EFBIG: TooManySlots,
    _errno.EDQUOT: LimitExceeded,
    _errno.ENOSPC: LimitExceeded,
    _errno.EMFILE: LimitExceeded,
    _errno.ESTALE: StaleHandle,
    _errno.ENOTTY: NotSupported,
    _errno.EPERM: NotPermitted,
    _errno.EEXIST: NameTaken,
}


def error_from_errno(err: int, what: Optional[str] = None) -> MobjError:
    """The exception for positive errno ``err`` raised by command ``what``."""
    cls = _BY_ERRNO.get(err, MobjError)
    if what is None:
        return cls(err, _os.strerror(err))
    return cls(err, _os.strerror(err), what)
