"""scripts/setup-system.sh takes the TimescaleDB source package from the machine's own Debian mirror.

Runs the script's ``--print-timescaledb-source`` mode (derivation only, nothing installed)
against fake apt configuration directories.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "setup-system.sh"
KEYRING = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"


def derive(apt_etc: Path, mirror: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LABSHARE_DEBIAN_MIRROR"}
    env["LABSHARE_APT_ETC"] = str(apt_etc)
    if mirror is not None:
        env["LABSHARE_DEBIAN_MIRROR"] = mirror
    return subprocess.run(
        ["bash", str(SCRIPT), "--print-timescaledb-source"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def apt_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (etc / name).write_text(text)
    return etc


def test_deb822_sources_give_the_debian_mirror_not_the_security_archive(tmp_path: Path) -> None:
    etc = apt_dir(
        tmp_path,
        {
            "sources.list.d/debian.sources": (
                "Types: deb\n"
                "URIs: http://mirror.internal:8080/debian-security\n"
                "Suites: bookworm-security\n"
                "Components: main\n\n"
                "Types: deb\n"
                "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
                "URIs: https://mirrors.example.cn/debian/\n"
                "Suites: bookworm bookworm-updates\n"
                "Components: main contrib\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
            ),
            "sources.list.d/nodesource.sources": (
                "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\n"
                "Suites: nodistro\nComponents: main\n"
            ),
        },
    )
    result = derive(etc)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"deb-src {KEYRING} https://mirrors.example.cn/debian trixie main\n"


def test_one_line_sources_list_with_options_and_an_apt_proxy(tmp_path: Path) -> None:
    etc = apt_dir(
        tmp_path,
        {
            "sources.list": (
                "# deb http://commented.example/debian bookworm main\n"
                "deb http://security.example/debian-security bookworm-security main\n"
                "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                "http://10.0.0.5:3142/debian bookworm main non-free-firmware\n"
            ),
            "sources.list.d/cloud.list": "deb https://packages.example.com/apt cloud-sdk-bookworm main\n",
        },
    )
    result = derive(etc)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"deb-src {KEYRING} http://10.0.0.5:3142/debian trixie main\n"


def test_disabled_entries_are_ignored(tmp_path: Path) -> None:
    etc = apt_dir(
        tmp_path,
        {
            "sources.list.d/a-off.sources": (
                "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\n"
                "Suites: trixie\nComponents: main\n"
            ),
            "sources.list.d/old.list.disabled": "deb http://disabled.example/debian trixie main\n",
            "sources.list.d/z-debian.sources": (
                "Types: deb deb-src\nURIs: http://on.example/debian\nSuites: trixie\nComponents: main\n"
            ),
        },
    )
    result = derive(etc)
    assert result.returncode == 0, result.stderr
    assert "http://on.example/debian trixie main" in result.stdout


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"sources.list": "deb http://archive.ubuntu.com/ubuntu jammy main universe\n"},
        {"sources.list": "deb http://deb.example/debian-security bookworm-security main\n"},
    ],
    ids=["no-sources", "ubuntu-only", "security-only"],
)
def test_without_a_debian_mirror_it_says_what_it_needs(
    tmp_path: Path, files: dict[str, str]
) -> None:
    result = derive(apt_dir(tmp_path, files))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no Debian mirror found" in result.stderr
    assert "LABSHARE_DEBIAN_MIRROR" in result.stderr


def test_the_override_wins(tmp_path: Path) -> None:
    etc = apt_dir(tmp_path, {"sources.list": "deb http://machine.example/debian bookworm main\n"})
    result = derive(etc, mirror="http://override.example/debian/")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"deb-src {KEYRING} http://override.example/debian trixie main\n"


def test_the_script_names_no_package_host() -> None:
    text = SCRIPT.read_text()
    for host in ("deb.debian.org", "ftp.debian.org", "security.debian.org"):
        assert host not in text
