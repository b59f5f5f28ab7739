"""The package builds offline with its in-tree backend into a wheel that works on its own."""

import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class PackageTest(unittest.TestCase):
    def test_wheel_has_the_package_and_py_typed_and_runs(self) -> None:
        sys.path.insert(0, os.path.join(ROOT, "_build"))
        try:
            import backend
        finally:
            sys.path.pop(0)
        with tempfile.TemporaryDirectory() as out:
            name = backend.build_wheel(out)
            wheel = os.path.join(out, name)
            with zipfile.ZipFile(wheel) as z:
                names = set(z.namelist())
                record = z.read("late_fusion_client-0.1.0.dist-info/RECORD").decode()
            self.assertEqual(name, "late_fusion_client-0.1.0-py3-none-any.whl")
            self.assertLessEqual({"late_fusion_client/__init__.py", "late_fusion_client/py.typed", "late_fusion_client/__main__.py"}, names)
            self.assertIn("late_fusion_client/client.py,sha256=", record)
            # a pure wheel is importable as a zip: the command runs from the wheel alone
            env = {**os.environ, "PYTHONPATH": wheel}
            out_help = subprocess.run([sys.executable, "-m", "late_fusion_client", "--help"], capture_output=True, text=True, env=env, cwd=out, timeout=30)
            self.assertEqual(out_help.returncode, 0, out_help.stderr)
            self.assertIn("fuse", out_help.stdout)
            self.assertTrue(backend.build_sdist(out).endswith(".tar.gz"))
