"""Reading a user's YAML config file into a typed model, with errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from lastexam.errors import ConfigError

Model = TypeVar("Model", bound=BaseModel)


def read_yaml_mapping(path: Path, kind: str, example: str) -> dict[str, Any]:
    """The mapping a YAML config file holds. ``kind`` names the file in errors ("agent config"); ``example``
    says where a good one is ("see agents/").

    Raises:
        ConfigError: no such file, bad YAML, or not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, None, f"no such {kind} file", f"give the path of a YAML file ({example})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(path, None, f"not valid YAML ({exc})", "fix the YAML syntax") from exc
    if not isinstance(data, dict):
        raise ConfigError(path, None, "the file must hold a mapping of keys", f"start from an example ({example})")
    return data


def validation_error(where: str, exc: ValidationError, reference: str, prefix: str = "") -> ConfigError:
    """The first problem of a failed validation as a ConfigError naming the field (under ``prefix``) and the fix;
    ``reference`` says where the valid keys are documented."""
    first = exc.errors()[0]
    field = prefix + (".".join(str(p) for p in first["loc"]) or "(top level)")
    if first["type"] == "extra_forbidden":
        return ConfigError(where, field, "unknown key", f"remove it or fix its spelling (see {reference})")
    if first["type"] == "missing":
        return ConfigError(where, field, "required key missing", "add it")
    return ConfigError(where, field, first["msg"], f"give a valid value (see {reference})")


def load_yaml_model(path: Path, model: type[Model], kind: str, example: str, **extra: Any) -> Model:
    """A YAML config file validated as ``model`` (with ``extra`` keys added).

    Raises:
        ConfigError: no such file, bad YAML, or a bad field (naming the file, the field and the fix).
    """
    data = read_yaml_mapping(path, kind, example)
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        raise validation_error(str(path), exc, model.__module__) from exc
