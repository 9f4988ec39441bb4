"""The packages to install, found rather than listed: every folder below daemon/ and
providers/ installs under ``interview_outreach`` (the mapping is ``package-dir`` in
pyproject.toml, which holds everything else). A new provider's folder needs no line here."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        f"interview_outreach.{name}"
        for name in find_namespace_packages(
            include=["daemon", "daemon.*", "providers", "providers.*"],
            exclude=["*.__pycache__"],
        )
    ]
)
