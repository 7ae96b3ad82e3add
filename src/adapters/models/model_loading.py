"""Getting a base model: from a local folder or a hub id, or built fresh from a small Llama config.

Safety: weights load only as safetensors, never with remote code. Quantization (bitsandbytes) and
device placement (accelerate's device_map) are used only where CUDA is present; on CPU the model
loads in full precision with one warning line.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from arc_ttt.adapters.models.codec import COMPACT, FORMATS, TEXT, GridFormat
from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer
from arc_ttt.domain.errors import ArcTttError, message_line

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger("arc_ttt.models")

MARKER_FILE = "arc_ttt_model.json"
# Seeds run 0 <= seed < 2**63: torch.manual_seed overflows past 64 bits, and a signed 64-bit range keeps a
# seed the same number in JSON, SQLite and every library it reaches.
SEED_LIMIT = 2**63
SEED_RANGE = "0 <= seed < 2**63"
Quantization = Literal["none", "8bit", "4bit"]

# Llama-architecture presets for models trained from scratch (no download needed).
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2},
    "small": {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4, "num_attention_heads": 8,
              "num_key_value_heads": 4},
    # the scale of the pretraining probe in the issue tracker: 18.9M parameters, for CUDA machines
    "medium": {"hidden_size": 384, "intermediate_size": 1024, "num_hidden_layers": 8, "num_attention_heads": 6,
               "num_key_value_heads": 2},
}


class ModelLoadError(ArcTttError):
    """A model folder or hub id that cannot be used, with the reason in one line."""


def check_seed(seed: int) -> int:
    """`seed` itself when it is in SEED_RANGE; else a ValueError saying the range (torch's own error,
    "Overflow when unpacking long long", names neither)."""
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed {seed} is out of range; use {SEED_RANGE}")
    return seed


@dataclass(frozen=True, slots=True)
class LoadedModel:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    fmt: GridFormat
    name: str


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def quiet_libraries() -> None:
    """No progress bars while loading, and no bitsandbytes notes about CPU kernels this project never
    uses (peft imports bitsandbytes whenever it is installed)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not cuda_available():
        logging.getLogger("bitsandbytes").setLevel(logging.ERROR)


def llama_config(size: str, vocab_size: int, **overrides: Any) -> Any:
    from transformers import LlamaConfig

    if size not in SIZES:
        raise ValueError(f"unknown model size {size!r}; known: {', '.join(SIZES)}")
    tok = build_compact_tokenizer()
    params: dict[str, Any] = {
        **SIZES[size], "vocab_size": vocab_size, "max_position_embeddings": 8192, "rope_theta": 10000.0,
        "bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id,
        "tie_word_embeddings": True,
    }
    params.update(overrides)
    return LlamaConfig(**params)


def build_model(size: str = "tiny", seed: int = 0, **overrides: Any) -> LoadedModel:
    """A randomly initialised Llama-architecture model with the project's compact tokenizer."""
    import torch
    from transformers import LlamaForCausalLM

    quiet_libraries()
    tokenizer = build_compact_tokenizer()
    torch.manual_seed(check_seed(seed))
    model = LlamaForCausalLM(llama_config(size, len(tokenizer), **overrides))
    return LoadedModel(model, tokenizer, COMPACT, f"llama-{size}")


def init_model(directory: Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a fresh model folder (config, safetensors weights, tokenizer, format marker). The folder is made
    first, so a path that cannot be one fails before any model is built."""
    directory.mkdir(parents=True, exist_ok=True)
    loaded = build_model(size, seed)
    loaded.model.save_pretrained(directory, safe_serialization=True)
    loaded.tokenizer.save_pretrained(directory)
    (directory / MARKER_FILE).write_text(json.dumps({"format": COMPACT.name, "size": size, "seed": seed}, indent=2))
    return directory


def _format_for(directory: Path | None, requested: str) -> GridFormat:
    if requested != "auto":
        if requested not in FORMATS:
            raise ModelLoadError(f"unknown grid format {requested!r}; known: auto, {', '.join(FORMATS)}")
        return FORMATS[requested]
    if directory is not None and (directory / MARKER_FILE).exists():
        try:
            name = json.loads((directory / MARKER_FILE).read_text()).get("format", TEXT.name)
        except (ValueError, AttributeError):
            raise ModelLoadError(f"{directory / MARKER_FILE}: not a valid JSON object") from None
        return FORMATS.get(name, TEXT)
    return TEXT


def _quantization_config(quantization: Quantization) -> Any:
    if quantization == "none":
        return None
    if not cuda_available():
        log.warning("%s quantization needs a CUDA GPU; loading the model in full precision on CPU", quantization)
        return None
    import torch
    from transformers import BitsAndBytesConfig

    if quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute,
                              bnb_4bit_use_double_quant=True)


def check_model_folder(directory: Path) -> None:
    """Refuse, in one line and before any task starts, a local model folder that cannot load: a config
    that is not a JSON object with a `model_type`, no safetensors weights (the only weights this project
    reads), or no tokenizer."""
    config = directory / "config.json"
    try:
        parsed = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"model folder {directory} has no config.json") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{config}: not valid JSON ({message_line(exc)[:120]})") from None
    if not isinstance(parsed, dict) or not parsed.get("model_type"):
        raise ModelLoadError(f"{config}: no model_type")
    weights = sorted(directory.glob("*.safetensors"))
    if not weights:
        pickled = sorted(p.name for p in directory.iterdir() if p.suffix in (".bin", ".pt", ".pth", ".ckpt"))
        also = f" (found {', '.join(pickled[:3])}: pickled weights are never loaded)" if pickled else ""
        raise ModelLoadError(f"model folder {directory} has no .safetensors weights{also}")
    for path in weights:
        problem = safetensors_problem(path)
        if problem:
            raise ModelLoadError(f"{path}: not readable safetensors ({problem})")
    if not any((directory / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")):
        raise ModelLoadError(f"model folder {directory} has no tokenizer (tokenizer.json or tokenizer_config.json)")


def _names_a_path(source: str) -> bool:
    """Whether a model name that is not an existing folder was meant as one (`./m`, `/x`, `~/m`, `m.json`)
    rather than as a hub id (`owner/name`)."""
    return source.startswith((".", "/", "~")) or bool(Path(source).suffix)


def check_model_source(source: str, *, offline: bool = True) -> None:
    """Refuse, before any task starts, a model that cannot load: a broken local folder (`check_model_folder`),
    a path that is a file or does not exist, or (offline) a hub id with no config in the local cache.
    Without this every task of a batch would fail on its own, each with the same error."""
    path = Path(source).expanduser()
    if path.is_dir():
        check_model_folder(path)
        return
    if path.exists():
        raise ModelLoadError(f"model {source} is a file; a model is a folder (config.json, .safetensors weights, "
                             "tokenizer) or a hub id")
    if _names_a_path(source):
        raise ModelLoadError(f"model folder {source} does not exist")
    if offline:
        from huggingface_hub import try_to_load_from_cache

        try:
            cached = try_to_load_from_cache(source, "config.json")
        except ValueError as exc:  # not a valid repository id
            raise ModelLoadError(f"model {source} is neither a folder nor a hub id ({exc})") from None
        if not isinstance(cached, str):
            raise ModelLoadError(f"hub id {source} is not in the local cache and hub ids resolve offline "
                                 "(ttt.offline); download it once (`huggingface-cli download ID`), or pass a folder")


def safetensors_problem(path: Path) -> str | None:
    """What is wrong with a safetensors file, from its header alone (its tensors are not read), or None: a
    truncated or overwritten file is caught before a loader fails on it with an error that names no file."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as weights:
            weights.keys()
    except (SafetensorError, OSError) as exc:
        return message_line(exc)[:160]
    return None


def load_model(source: str, *, quantization: Quantization = "none", offline: bool = True,
               grid_format: str = "auto") -> LoadedModel:
    """A causal LM and its tokenizer from a local folder or a hub id (cached only, when offline)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_libraries()
    directory = Path(source).expanduser()
    is_dir = directory.is_dir()
    if not is_dir and _names_a_path(source):
        raise ModelLoadError(f"model folder {source} does not exist")
    quant = _quantization_config(quantization)
    kwargs: dict[str, Any] = {"trust_remote_code": False, "use_safetensors": True, "local_files_only": offline}
    if quant is not None:
        kwargs["quantization_config"] = quant
    if cuda_available():
        kwargs["device_map"] = "auto"  # accelerate places the layers
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, local_files_only=offline)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:
        where = f"folder {source}" if is_dir else f"hub id {source}" + (" (offline: cached files only)" if offline
                                                                          else "")
        raise ModelLoadError(f"cannot load model from {where}: {message_line(exc)[:300]}") from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model, tokenizer, _format_for(directory if is_dir else None, grid_format), source)


def model_fingerprint(model: PreTrainedModel) -> str:
    """A short hash of the base weights: config, every parameter's name and shape, and a sample of values.

    Cheap even for billions of parameters, and stable across copies of the same weights, so an adapter
    stored for one base is never applied to another."""
    import torch

    settings = {k: v for k, v in model.config.to_dict().items()
                if not k.startswith("_") and k not in ("transformers_version", "dtype", "torch_dtype", "architectures")}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    with torch.no_grad():
        for name, tensor in sorted(model.state_dict().items()):
            if "lora_" in name:
                continue
            digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
            if tensor.numel() and tensor.dtype.is_floating_point:
                digest.update(tensor.detach().reshape(-1)[:16].float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]
