"""A minimal PEP 517 build backend: a pure-Python wheel (and sdist) from the standard library alone."""

import base64
import hashlib
import io
import os
import tarfile
import zipfile

NAME, DIST, VERSION = "late_fusion_client", "late_fusion_client", "0.1.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METADATA = f"""Metadata-Version: 2.1
Name: late-fusion-client
Version: {VERSION}
Summary: Client of the late-fusion API: fuse, batch and joins, signed with SigV4.
License: MIT
Requires-Python: >=3.9
Provides-Extra: iam
Requires-Dist: botocore; extra == "iam"
"""
WHEEL = "Wheel-Version: 1.0\nGenerator: late-fusion-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files():
    for name in sorted(os.listdir(os.path.join(ROOT, NAME))):
        if name.endswith(".py") or name == "py.typed":
            yield f"{NAME}/{name}"


def _read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{DIST}-{VERSION}.dist-info"
    wheel_name = f"{DIST}-{VERSION}-py3-none-any.whl"
    files = [(p, _read(p)) for p in _package_files()]
    files += [(f"{info}/METADATA", METADATA.encode()), (f"{info}/WHEEL", WHEEL.encode())]
    record = [_record_line(p, d) for p, d in files] + [f"{info}/RECORD,,"]
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            z.writestr(path, data)
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    base = f"{DIST}-{VERSION}"
    name = f"{base}.tar.gz"
    paths = ["pyproject.toml", "README.md", "_build/backend.py", *_package_files()]
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for path in paths:
            tar.add(os.path.join(ROOT, path), arcname=f"{base}/{path}")
        pkg_info = METADATA.encode()
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(pkg_info)
        tar.addfile(entry, io.BytesIO(pkg_info))
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []
