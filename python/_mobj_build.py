# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The PEP 517 build backend of the mobj package: standard library only.

``pip install ./python`` builds with this backend, so installing needs no
network and no build tools: not setuptools, not wheel (a venv made by
Debian's python3-venv has setuptools but no wheel, so setuptools could not
build one offline).  The package is pure Python: the wheel is the files of
mobj/, the generated mobj/_version.py and the .dist-info metadata.

The version is the source tree's VERSION file (../VERSION), or VERSION
beside this file in an sdist.
"""

import base64
import hashlib
import io
import os
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "mobj"
SUMMARY = ("Managed kernel objects with refcounts and a cycle collector "
           "(/dev/mobj), the Python way")
LICENSE = "LGPL-2.1-or-later OR MIT"
REQUIRES_PYTHON = ">=3.7"
TAG = "py3-none-any"


def _version():
    for path in (os.path.join(HERE, "VERSION"),
                 os.path.join(HERE, "..", "VERSION")):
        try:
            with open(path) as f:
                return f.read().strip()
        except OSError:
            continue
    raise RuntimeError("mobj: no VERSION file beside or above %s" % HERE)


def _package_files():
    """(path in the wheel, bytes) for every file of the package."""
    out = []
    pkg = os.path.join(HERE, NAME)
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py") or name == "py.typed":
            if name == "_version.py":
                continue            # generated, never taken from the tree
            with open(os.path.join(pkg, name), "rb") as f:
                out.append(("%s/%s" % (NAME, name), f.read()))
    out.append(("%s/_version.py" % NAME, (
        "# Written by the build backend (python/_mobj_build.py).\n"
        "VERSION = %r\n" % _version()).encode()))
    return out


def _metadata():
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return ("Metadata-Version: 2.1\n"
            "Name: %s\nVersion: %s\nSummary: %s\nLicense: %s\n"
            "Requires-Python: %s\n"
            "Classifier: Operating System :: POSIX :: Linux\n"
            "Classifier: Programming Language :: Python :: 3\n"
            "Classifier: Typing :: Typed\n"
            "Description-Content-Type: text/markdown\n\n%s"
            % (NAME, _version(), SUMMARY, LICENSE, REQUIRES_PYTHON,
               readme)).encode("utf-8")


def _dist_info():
    return "%s-%s.dist-info" % (NAME, _version())


def _wheel_name():
    return "%s-%s-%s.whl" % (NAME, _version(), TAG)


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(
        hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (path, digest, len(data))


def _write_wheel(directory, files):
    """A wheel of ``files`` (path, bytes) plus the .dist-info."""
    info = _dist_info()
    files = list(files) + [
        ("%s/METADATA" % info, _metadata()),
        ("%s/WHEEL" % info, ("Wheel-Version: 1.0\n"
                             "Generator: mobj _mobj_build\n"
                             "Root-Is-Purelib: true\nTag: %s\n"
                             % TAG).encode()),
        ("%s/top_level.txt" % info, (NAME + "\n").encode()),
    ]
    record = "".join(_record_line(p, d) for p, d in files)
    record += "%s/RECORD,,\n" % info
    name = _wheel_name()
    with zipfile.ZipFile(os.path.join(directory, name), "w",
                         zipfile.ZIP_DEFLATED) as zf:
        for path, data in files + [("%s/RECORD" % info, record.encode())]:
            zi = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return name


# PEP 517 hooks.

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory, config_settings=None,
                   metadata_directory=None):
    """PEP 660: a wheel whose .pth puts this source directory on sys.path
    (the version then comes from ../VERSION at import time)."""
    return _write_wheel(wheel_directory,
                        [("_mobj_editable.pth", (HERE + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, _version())
    name = base + ".tar.gz"
    members = [("PKG-INFO", _metadata()),
               ("VERSION", (_version() + "\n").encode())]
    for rel in ("pyproject.toml", "_mobj_build.py", "README.md"):
        with open(os.path.join(HERE, rel), "rb") as f:
            members.append((rel, f.read()))
    members += _package_files()[:-1]        # not the generated _version.py
    for sub in ("tests", "examples"):
        top = os.path.join(HERE, sub)
        for fname in sorted(os.listdir(top)) if os.path.isdir(top) else []:
            if fname.endswith(".py"):
                with open(os.path.join(top, fname), "rb") as f:
                    members.append(("%s/%s" % (sub, fname), f.read()))
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz",
                      format=tarfile.PAX_FORMAT) as tf:
        for rel, data in members:
            ti = tarfile.TarInfo("%s/%s" % (base, rel))
            ti.size = len(data)
            ti.mode = 0o644
            tf.addfile(ti, io.BytesIO(data))
    return name
