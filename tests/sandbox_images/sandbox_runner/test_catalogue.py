"""The language catalogue (sandbox_images/sandbox_runner/catalogue.json) is the one list of
languages, families and toolchain pins: the service's names, the runner's recipes, the image
build, the build script and docker-compose.yml must agree with it, and its pins must meet the
minimums the service promises (issue 24). No Docker needed.

Adding a language: README.md's layout section has the checklist; this test names what is missing.
"""

from __future__ import annotations

import re
import resource
import subprocess
from pathlib import Path

import yaml
from sandbox_runner import catalogue
from sandbox_runner.native import languages as recipes
from sandbox_runner.native import prepare

from reward_service import languages as service

ROOT = Path(__file__).resolve().parents[3]
NATIVE = [
    family
    for family in catalogue.families()
    if catalogue.get(f"families.{family}.dockerfile") == "native"
]


def version(text: str) -> tuple[int, ...]:
    found = re.search(r"\d+(?:\.\d+)*", text)
    assert found, text
    return tuple(int(part) for part in found.group(0).split("."))


def test_the_service_names_the_catalogue_languages_and_families() -> None:
    assert tuple(catalogue.languages()) == service.LANGUAGES
    assert tuple(catalogue.families()) == service.FAMILIES
    assert {
        language: catalogue.family_of(language) for language in service.LANGUAGES
    } == service.FAMILY
    assert set(service.FENCE_TAGS) == set(service.LANGUAGES)
    assert set(service.ALIASES.values()) <= set(service.LANGUAGES)


def test_the_runner_has_a_recipe_per_language_and_prepares_every_native_family() -> None:
    assert tuple(recipes.RECIPES) == recipes.LANGUAGES == tuple(catalogue.languages())
    assert list(prepare.FAMILIES) == NATIVE
    assert catalogue.get("families.python.dockerfile") == "python"


def test_every_family_has_its_dockerfile_and_every_language_a_family() -> None:
    for family in catalogue.families():
        assert (
            ROOT / "sandbox_images" / catalogue.get(f"families.{family}.dockerfile") / "Dockerfile"
        ).is_file()
        assert catalogue.languages(family), f"{family} runs no language"
    assert set(map(catalogue.family_of, catalogue.languages())) == set(catalogue.families())


def test_docker_compose_builds_every_family_from_the_catalogue_base() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    base = catalogue.get("debian.base_image")
    for family in catalogue.families():
        service_ = compose[f"sandbox-{family}"]
        build = service_["build"]
        assert build["dockerfile"] == f"{catalogue.get(f'families.{family}.dockerfile')}/Dockerfile"
        assert build["args"]["BASE_IMAGE"] == f"${{SANDBOX_BASE_IMAGE:-{base}}}", family
        if family != "python":
            assert build["args"]["FAMILY"] == family
            assert service_["image"] == f"reward-sandbox-{family}:latest"
    app = compose["reward_service"]
    assert set(app["depends_on"]) == {f"sandbox-{family}" for family in catalogue.families()}
    default_languages = re.fullmatch(
        r"\$\{REWARD_SANDBOX_LANGUAGES:-(.*)\}", app["environment"]["REWARD_SANDBOX_LANGUAGES"]
    )
    assert default_languages and default_languages.group(1).split(",") == catalogue.languages()
    assert (
        app["build"]["args"]["BASE_IMAGE"]
        == f"${{BASE_IMAGE:-{catalogue.get('service_base_image')}}}"
    )


def test_dockerfile_defaults_are_the_catalogue_bases() -> None:
    base = catalogue.get("debian.base_image")
    for name in ("native", "python"):
        text = (ROOT / "sandbox_images" / name / "Dockerfile").read_text()
        assert f"ARG BASE_IMAGE={base}\n" in text, name
    service_text = (ROOT / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE={catalogue.get('service_base_image')}\n" in service_text
    assert (
        "catalogue.py packages" in (ROOT / "sandbox_images" / "native" / "Dockerfile").read_text()
    )


def test_the_build_script_lists_the_catalogue_families() -> None:
    listed = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_images.sh"), "--list"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
    ).stdout.splitlines()
    assert [line.split()[0] for line in listed] == catalogue.families()
    for line in listed:
        family, image, *names = line.split()
        assert names == catalogue.languages(family)
        assert image == f"reward-sandbox-{family}:latest"


def test_toolchains_meet_the_minimums() -> None:
    families = catalogue.get("families")
    assert version(families["python"]["version"]) >= (3, 12)
    assert version(families["cpp"]["version"]) >= (14,)
    assert version(families["java"]["version"]) >= (21,)
    node = catalogue.get("vendored.node.version")
    assert node.startswith(f"{families['node']['version']}.")
    assert version(node)[0] >= 22 and version(node)[0] % 2 == 0  # an LTS line
    assert version(catalogue.get("vendored.typescript.version")) >= (5,)
    types_node = catalogue.get("vendored.@types/node.version")
    assert version(types_node)[0] == version(node)[0]  # the runtime's own types
    assert version(families["go"]["version"]) >= (1, 22)
    assert version(families["rust"]["version"]) >= (1, 80)


def test_every_vendored_package_is_pinned_with_its_hash() -> None:
    for name, pin in catalogue.get("vendored").items():
        assert pin["registry"] in ("pypi", "npm"), name
        if pin["registry"] == "npm":
            assert pin["integrity"].startswith("sha512-"), name
        else:
            assert pin["sha256"] and all(
                re.fullmatch(r"[0-9a-f]{64}", h) for h in pin["sha256"].values()
            )
    used = [name for family in catalogue.families() for name in catalogue.vendored(family)]
    assert sorted(used) == sorted(catalogue.get("vendored"))


def test_dialects_and_judge_conventions_are_the_defaults() -> None:
    assert catalogue.setting("c", "flags") == catalogue.setting("cpp", "flags")
    assert catalogue.setting("cpp", "flags") == ["-O2", "-DONLINE_JUDGE"]
    assert catalogue.setting("c", "dialect") == "gnu23"
    assert catalogue.setting("cpp", "dialect") == "gnu++23"
    assert catalogue.setting("rust", "dialect") == "2021"
    # stdin/stdout programs keep -O (time limits); a harness build's lower opt-level keeps
    # -O's semantics: integer overflow wraps and debug assertions are off
    assert catalogue.setting("rust", "program_flags") == ["-O"]
    harness = " ".join(catalogue.setting("rust", "harness_flags"))
    assert "debug-assertions=off" in harness and "overflow-checks=off" in harness
    options = recipes.TSCONFIG["compilerOptions"]
    assert options["lib"] == ["es2023"] and options["types"] == ["node"]
    assert version(options["target"].removeprefix("es")) >= (2022,)
    assert recipes.run_limits("cpp", LIMITS).stack_bytes == resource.RLIM_INFINITY
    assert recipes.run_limits("java", LIMITS).address_space_mb == 256 + 1024 + 256


def test_the_service_offers_the_catalogue_dialects() -> None:
    dialects = {
        language: tuple(catalogue.setting(language, "dialects"))
        for language in catalogue.languages()
        if "dialects" in catalogue.get(f"languages.{language}")
    }
    assert dialects == service.DIALECTS
    defaults = {language: catalogue.setting(language, "dialect") for language in dialects}
    assert defaults == service.DEFAULT_DIALECT
    assert all(defaults[language] in dialects[language] for language in dialects)
    # the default is always precompiled; so is the one the README gives old datasets
    assert {defaults["cpp"], "gnu++17"} <= set(catalogue.setting("cpp", "precompiled"))
    assert set(catalogue.setting("cpp", "precompiled")) <= set(dialects["cpp"])


LIMITS = {
    "timeout_s": 2,
    "memory_mb": 256,
    "output_bytes": 1 << 20,
    "processes": 8,
    "file_size_mb": 16,
}
