"""Configure-time checks of an ``hf`` model spec, without importing torch or transformers.

A missing folder or a folder that is not a checkpoint is one usage error before anything
loads, instead of one error per case once the run has started.
"""

from __future__ import annotations

from pathlib import Path

from valspec.adapters.registry import ModelSpec, looks_like_path
from valspec.domain.errors import ConfigError


def check(spec: ModelSpec) -> None:
    """Raise ConfigError when a local checkpoint folder is missing or incomplete."""
    if not looks_like_path(spec.model):
        return  # a hub id: whether it is reachable is known only when it loads
    folder = Path(spec.model).expanduser()
    where = f"--model={spec.name}" if spec.name.startswith("hf:") else f"model {spec.name!r}"
    if not folder.is_dir():
        raise ConfigError(
            f"{where}: model folder {folder} does not exist; give the folder that holds "
            "config.json and the *.safetensors weights"
        )
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{where}: {folder / 'config.json'} is missing: not a checkpoint folder")
    if not any(folder.glob("*.safetensors")):
        raise ConfigError(
            f"{where}: no *.safetensors weights in {folder} (the hf adapter loads safetensors "
            "only; convert .bin weights with transformers' save_pretrained)"
        )
