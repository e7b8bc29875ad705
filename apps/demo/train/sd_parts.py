"""The parts of demo-sd that training, its tests and its evaluation share: the Stable Diffusion
reference modules (tests/models/sd_ref*.py, the same code Facet's tests match), the configs of
demo-sd's UNet, VAE and scheduler, the diffusers tokenizer/ folder made from demo-clip's
tokenizer.json, and the frozen demo-clip text tower as a CLIPTextModel."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "models"))

import hf_io  # noqa: E402
import sd_ref_schedulers  # noqa: E402
import sd_ref_text  # noqa: E402
import sd_ref_unet  # noqa: E402
import sd_ref_vae  # noqa: E402

IMAGE = 64
DIFFUSERS = "0.21.4"
BOS, EOS = "<|startoftext|>", "<|endoftext|>"

# SD 1.5's noise schedule; DDIM, Facet's default sampler, as the folder's scheduler class.
SCHEDULER = {"_class_name": "DDIMScheduler", "_diffusers_version": DIFFUSERS, "beta_end": 0.012,
             "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
             "num_train_timesteps": 1000, "prediction_type": "epsilon", "set_alpha_to_one": False,
             "steps_offset": 1, "timestep_spacing": "trailing", "trained_betas": None}


def vae_config(channels):
    """An AutoencoderKL with len(channels) - 1 downsamplings (64 px -> 16 x 16 latents for 3)."""
    n = len(channels)
    return {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS, "act_fn": "silu",
            "block_out_channels": list(channels), "down_block_types": ["DownEncoderBlock2D"] * n, "in_channels": 3,
            "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 8, "out_channels": 3,
            "sample_size": IMAGE, "scaling_factor": 1.0, "up_block_types": ["UpDecoderBlock2D"] * n}


def unet_config(channels, cross_dim, latent_size, heads=4, attention_levels=1):
    """Attention (self and cross) only at the last attention_levels levels and the mid block: the
    transformer blocks' matmuls dominate the CPU training time."""
    n = len(channels)
    down = ["DownBlock2D"] * (n - attention_levels) + ["CrossAttnDownBlock2D"] * attention_levels
    return {"_class_name": "UNet2DConditionModel", "_diffusers_version": DIFFUSERS, "act_fn": "silu",
            "attention_head_dim": heads, "block_out_channels": list(channels), "center_input_sample": False,
            "cross_attention_dim": cross_dim, "down_block_types": down,
            "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4,
            "layers_per_block": 1, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 8,
            "out_channels": 4, "sample_size": latent_size, "up_block_types": [d.replace("Down", "Up") for d in down[::-1]]}


MODEL_INDEX = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": DIFFUSERS,
               "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
               "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
               "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
               "vae": ["diffusers", "AutoencoderKL"]}


def write_tokenizer(clip_folder, out):
    """tokenizer/ as diffusers ships CLIP tokenizers (vocab.json, merges.txt with its '#version'
    line, tokenizer_config.json, special_tokens_map.json) from demo-clip's tokenizer.json.
    model_max_length is the text tower's position count (Facet and diffusers pad to it)."""
    with open(os.path.join(clip_folder, "tokenizer.json"), encoding="utf-8") as f:
        model = json.load(f)["model"]
    with open(os.path.join(clip_folder, "config.json"), encoding="utf-8") as f:
        positions = json.load(f)["text_config"]["max_position_embeddings"]
    os.makedirs(out, exist_ok=True)
    hf_io.write_json(os.path.join(out, "vocab.json"), model["vocab"])
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n" + "".join(m + "\n" for m in merges))

    def token(content):
        return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False,
                "single_word": False}
    hf_io.write_json(os.path.join(out, "tokenizer_config.json"), {
        "add_prefix_space": False, "bos_token": token(BOS), "do_lower_case": True, "eos_token": token(EOS),
        "errors": "replace", "model_max_length": positions, "pad_token": EOS, "tokenizer_class": "CLIPTokenizer",
        "unk_token": token(EOS)})
    hf_io.write_json(os.path.join(out, "special_tokens_map.json"),
                     {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS, "unk_token": EOS})
    return sd_ref_text.CLIPTokenizer.from_folder(out)


def check_tokenizer(tokenizer, clip_folder, texts):
    """The folder's tokenizer gives the ids demo-clip's tokenizer.json gives, on every text."""
    ref = sd_ref_text.CLIPTokenizer.from_tokenizer_json(os.path.join(clip_folder, "tokenizer.json"),
                                                         model_max_length=tokenizer.model_max_length)
    for t in texts:
        if tokenizer(t) != ref(t):
            raise AssertionError(f"tokenizer/ and tokenizer.json differ on '{t}'")


def text_config(clip_folder):
    with open(os.path.join(clip_folder, "config.json"), encoding="utf-8") as f:
        t = dict(json.load(f)["text_config"])
    t.pop("model_type", None)
    return dict(t, architectures=["CLIPTextModel"], model_type="clip_text_model", torch_dtype="float32",
                transformers_version="4.44.2", attention_dropout=0.0, dropout=0.0, initializer_factor=1.0,
                initializer_range=0.02)


def load_text_encoder(clip_folder):
    """demo-clip's text tower (text_model.* of its model.safetensors) as a frozen CLIPTextModel;
    returns (module, its text_model.* tensors)."""
    tensors = hf_io.load_safetensors(os.path.join(clip_folder, "model.safetensors"))
    text = {k: v for k, v in tensors.items() if k.startswith("text_model.") and not k.endswith("position_ids")}
    module = sd_ref_vae.load_state(sd_ref_text.CLIPTextModel(text_config(clip_folder)), text)
    module.eval().requires_grad_(False)
    return module, text


def make_scheduler():
    return sd_ref_schedulers.make_scheduler(SCHEDULER)


def new_unet(config):
    return sd_ref_unet.UNet2DConditionModel(config)


def new_vae(config):
    return sd_ref_vae.AutoencoderKL(config)


def load_folder(model):
    """A demo-sd folder as reference modules: (unet, vae, text encoder, tokenizer, scheduler)."""
    def load(folder, weights, cls):
        with open(os.path.join(model, folder, "config.json"), encoding="utf-8") as f:
            m = cls(json.load(f))
        tensors = hf_io.load_safetensors(os.path.join(model, folder, weights))
        m.load_state_dict({k: v.float() for k, v in tensors.items() if not k.endswith("position_ids")})
        return m.eval()

    unet = load("unet", "diffusion_pytorch_model.safetensors", sd_ref_unet.UNet2DConditionModel)
    vae = load("vae", "diffusion_pytorch_model.safetensors", sd_ref_vae.AutoencoderKL)
    text = load("text_encoder", "model.safetensors", sd_ref_text.CLIPTextModel)
    tok = sd_ref_text.CLIPTokenizer.from_folder(os.path.join(model, "tokenizer"))
    with open(os.path.join(model, "scheduler", "scheduler_config.json"), encoding="utf-8") as f:
        sched = sd_ref_schedulers.make_scheduler(json.load(f))
    return unet, vae, text, tok, sched
