"""The pytest plugin's old import name: ``import conftest_plugin`` (or ``-p conftest_plugin``)
gives :mod:`mockserver.pytest_plugin` itself, the one module object pytest registers.

The plugin lives inside the package so that a project's own ``conftest_plugin.py`` (a
natural name) can no longer shadow it: the entry point names ``mockserver.pytest_plugin``.
"""

import sys

from mockserver import pytest_plugin

sys.modules[__name__] = pytest_plugin
