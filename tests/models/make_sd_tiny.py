"""Writes tiny random Stable Diffusion checkpoints in the real layouts and the goldens of the
PyTorch reference (sd_ref.py). Run with Debian's /usr/bin/python3 from this folder; it takes
seconds. Deterministic: every draw comes from a seeded torch.Generator.

- sd_tiny/            diffusers folder in SD 1.x form (PNDMScheduler as SD 1.5 ships it, CLIP ViT-L
                      style text encoder, conv proj_in/proj_out, VAE attention in the older
                      query/key/value/proj_attn names that SD 1.x folders carry)
- sd_tiny.safetensors the same weights as one CompVis/LDM single file (f16)
- sd2_tiny/ + sd2_tiny.safetensors  SD 2.x form (v_prediction DDIMScheduler, use_linear_projection,
                      heads per block, gelu text encoder used without its last layer; OpenCLIP
                      names with fused in_proj in the single file, which keeps the unused last layer)
- goldens/sd_tiny/, goldens/sd2_tiny/ (README.md there says what each file is)

Before writing anything it checks the reference against published facts (parameter counts of
SD 1.5 / 2.1 at full size, LDM key names, scheduler timesteps)."""
import json
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image

import gen_images
import reference_vision
import sd_ref as R

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "data", "tokenizers", "clip_tiny")
PROMPT = "a photo of a red car"
NEGATIVE = "blurry, low quality, watermark"
CFG = 7.5
STEPS = 5
H = W = 64

# SD 1.5's scheduler/scheduler_config.json (runwayml/stable-diffusion-v1-5).
SD15_SCHEDULER = {"_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
                  "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
                  "num_train_timesteps": 1000, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
                  "trained_betas": None}
# SD 2.1 (768, v-prediction) ships a DDIMScheduler config.
SD21_SCHEDULER = {"_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012,
                  "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
                  "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": False,
                  "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None}
# SD-Turbo style: Euler ancestral, trailing spacing, 1 step, no classifier-free guidance.
TURBO_SCHEDULER = {"_class_name": "EulerAncestralDiscreteScheduler", "_diffusers_version": "0.24.0",
                   "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
                   "num_train_timesteps": 1000, "prediction_type": "epsilon", "steps_offset": 1,
                   "timestep_spacing": "trailing", "trained_betas": None}

# The txt2img runs: name -> (scheduler class, overrides on top of the folder's scheduler_config, steps).
RUNS = {
    "ddim": ("DDIMScheduler", {}, STEPS),
    "euler": ("EulerDiscreteScheduler", {}, STEPS),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}, STEPS),
    "dpmpp_2m": ("DPMSolverMultistepScheduler", {}, STEPS),
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}, STEPS),
    "pndm": ("PNDMScheduler", {}, STEPS),
    "lcm": ("LCMScheduler", {}, 4),
}

TINY_TEXT = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2,
             "max_position_embeddings": 77, "vocab_size": 688, "layer_norm_eps": 1e-5}
SD1 = {
    "name": "sd_tiny", "seed": 100, "scheduler": SD15_SCHEDULER, "openclip": False, "deprecated_vae_attention": True,
    "folder_dtype": torch.float32,
    "unet": {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0", "act_fn": "silu",
             "attention_head_dim": 8, "block_out_channels": [16, 24], "center_input_sample": False,
             "cross_attention_dim": 32, "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4,
             "layers_per_block": 1, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 8,
             "out_channels": 4, "sample_size": 8, "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"]},
    "vae": {"_class_name": "AutoencoderKL", "_diffusers_version": "0.6.0", "act_fn": "silu",
            "block_out_channels": [8, 8, 16, 16], "down_block_types": ["DownEncoderBlock2D"] * 4, "in_channels": 3,
            "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 4, "out_channels": 3, "sample_size": 64,
            "up_block_types": ["UpDecoderBlock2D"] * 4},
    "text": dict(TINY_TEXT, hidden_act="quick_gelu", bos_token_id=686, eos_token_id=687, pad_token_id=1),
    "pad_token": "<|endoftext|>",
    # Values the single file cannot say by its shapes (the LDM yaml's): heads, parameterization.
    "ldm_metadata": {"ldm.unet.num_heads": "8", "ldm.text.num_heads": "2", "ldm.parameterization": "eps",
                     "ldm.unet.norm_num_groups": "8", "ldm.vae.norm_num_groups": "4", "ldm.unet.sample_size": "8"},
}
SD2 = {
    "name": "sd2_tiny", "seed": 200, "scheduler": SD21_SCHEDULER, "openclip": True, "deprecated_vae_attention": False,
    "folder_dtype": torch.float16,
    "unet": {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.10.0", "act_fn": "silu",
             "attention_head_dim": [2, 3], "block_out_channels": [16, 24], "center_input_sample": False,
             "cross_attention_dim": 32, "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "downsample_padding": 1, "dual_cross_attention": False, "flip_sin_to_cos": True, "freq_shift": 0,
             "in_channels": 4, "layers_per_block": 1, "mid_block_scale_factor": 1, "norm_eps": 1e-05,
             "norm_num_groups": 8, "num_class_embeds": None, "only_cross_attention": False, "out_channels": 4,
             "sample_size": 8, "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "upcast_attention": True,
             "use_linear_projection": True},
    "vae": {"_class_name": "AutoencoderKL", "_diffusers_version": "0.10.0", "act_fn": "silu",
            "block_out_channels": [8, 8, 16, 16], "down_block_types": ["DownEncoderBlock2D"] * 4, "in_channels": 3,
            "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 4, "out_channels": 3, "sample_size": 64,
            "scaling_factor": 0.18215, "up_block_types": ["UpDecoderBlock2D"] * 4},
    "text": dict(TINY_TEXT, hidden_act="gelu", bos_token_id=0, eos_token_id=2, pad_token_id=1),
    "pad_token": "!",
    "ldm_metadata": {"ldm.unet.num_head_channels": "8", "ldm.text.num_heads": "2", "ldm.parameterization": "v",
                     "ldm.unet.norm_num_groups": "8", "ldm.vae.norm_num_groups": "4", "ldm.unet.sample_size": "8"},
}


# ---------------------------------------------------------------------------------------------
# Checks of the reference against published facts (fast: full-size models on the meta device).
SD15_UNET = {"attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 768}
SD21_UNET = {"attention_head_dim": [5, 10, 20, 20], "block_out_channels": [320, 640, 1280, 1280],
             "cross_attention_dim": 1024, "use_linear_projection": True}
SD_VAE = {"block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D"] * 4,
          "up_block_types": ["UpDecoderBlock2D"] * 4, "layers_per_block": 2}
CLIP_L = {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12}
OPENCLIP_H23 = {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 23,
                "hidden_act": "gelu"}
# Tensors in v1-5-pruned-emaonly's LDM layout (name: shape), a sample of each mapping rule.
SD15_LDM_SAMPLE = {
    "model.diffusion_model.time_embed.0.weight": [1280, 320],
    "model.diffusion_model.input_blocks.0.0.weight": [320, 4, 3, 3],
    "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": [320, 768],
    "model.diffusion_model.input_blocks.1.1.proj_in.weight": [320, 320, 1, 1],
    "model.diffusion_model.input_blocks.3.0.op.weight": [320, 320, 3, 3],
    "model.diffusion_model.input_blocks.4.0.skip_connection.weight": [640, 320, 1, 1],
    "model.diffusion_model.input_blocks.9.0.op.bias": [1280],
    "model.diffusion_model.input_blocks.11.0.out_layers.3.weight": [1280, 1280, 3, 3],
    "model.diffusion_model.middle_block.1.transformer_blocks.0.ff.net.0.proj.weight": [10240, 1280],
    "model.diffusion_model.middle_block.2.emb_layers.1.weight": [1280, 1280],
    "model.diffusion_model.output_blocks.0.0.in_layers.0.weight": [2560],
    "model.diffusion_model.output_blocks.2.1.conv.weight": [1280, 1280, 3, 3],
    "model.diffusion_model.output_blocks.3.1.proj_out.weight": [1280, 1280, 1, 1],
    "model.diffusion_model.output_blocks.5.2.conv.weight": [1280, 1280, 3, 3],
    "model.diffusion_model.output_blocks.8.2.conv.weight": [640, 640, 3, 3],
    "model.diffusion_model.output_blocks.9.0.skip_connection.weight": [320, 960, 1, 1],
    "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.norm3.bias": [320],
    "model.diffusion_model.out.0.weight": [320],
    "model.diffusion_model.out.2.weight": [4, 320, 3, 3],
    "first_stage_model.encoder.down.1.block.0.nin_shortcut.weight": [256, 128, 1, 1],
    "first_stage_model.encoder.down.3.block.1.conv2.weight": [512, 512, 3, 3],
    "first_stage_model.encoder.down.2.downsample.conv.weight": [512, 512, 3, 3],
    "first_stage_model.encoder.mid.attn_1.q.weight": [512, 512, 1, 1],
    "first_stage_model.encoder.mid.block_2.norm1.weight": [512],
    "first_stage_model.encoder.norm_out.weight": [512],
    "first_stage_model.encoder.conv_out.weight": [8, 512, 3, 3],
    "first_stage_model.quant_conv.weight": [8, 8, 1, 1],
    "first_stage_model.post_quant_conv.weight": [4, 4, 1, 1],
    "first_stage_model.decoder.conv_in.weight": [512, 4, 3, 3],
    "first_stage_model.decoder.mid.attn_1.proj_out.weight": [512, 512, 1, 1],
    "first_stage_model.decoder.up.3.upsample.conv.weight": [512, 512, 3, 3],
    "first_stage_model.decoder.up.1.block.0.nin_shortcut.weight": [256, 512, 1, 1],
    "first_stage_model.decoder.up.0.block.2.conv2.weight": [128, 128, 3, 3],
    "cond_stage_model.transformer.text_model.encoder.layers.11.mlp.fc2.weight": [768, 3072],
}
SD21_LDM_SAMPLE = {
    "model.diffusion_model.input_blocks.1.1.proj_in.weight": [320, 320],
    "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_v.weight": [320, 1024],
    "cond_stage_model.model.transformer.resblocks.22.attn.in_proj_weight": [3072, 1024],
    "cond_stage_model.model.transformer.resblocks.0.mlp.c_fc.weight": [4096, 1024],
    "cond_stage_model.model.positional_embedding": [77, 1024],
    "cond_stage_model.model.ln_final.bias": [1024],
}


def shapes(module):
    return {k: list(v.shape) for k, v in module.state_dict().items()}


def check_reference():
    facts = {}
    with R.on_device("meta"):
        unet15, unet21 = R.UNet2DConditionModel(SD15_UNET), R.UNet2DConditionModel(SD21_UNET)
        vae, clip_l, clip_h = R.AutoencoderKL(SD_VAE), R.CLIPTextModel(CLIP_L), R.CLIPTextModel(OPENCLIP_H23)
    # Published sizes: SD 1.5 UNet 859,520,964 parameters, SD 2.1 UNet 865,910,724, the SD VAE
    # 83,653,863, CLIP ViT-L/14 text 123,060,480, OpenCLIP ViT-H text without its last layer 340,387,840.
    for name, m, count, tensors in [("unet_sd15", unet15, 859520964, 686), ("unet_sd21", unet21, 865910724, 686),
                                    ("vae", vae, 83653863, 248), ("clip_l", clip_l, 123060480, 196),
                                    ("openclip_h_23", clip_h, 340387840, 372)]:
        sd = m.state_dict()
        n = sum(p.numel() for p in sd.values())
        assert (n, len(sd)) == (count, tensors), (name, n, len(sd))
        facts[name] = {"parameters": n, "tensors": len(sd)}
    for unet, cfg, clip, openclip, sample in [(unet15, SD15_UNET, clip_l, False, SD15_LDM_SAMPLE),
                                              (unet21, SD21_UNET, clip_h, True, SD21_LDM_SAMPLE)]:
        ldm = {k: torch.empty(s, device="meta") for k, s in shapes(unet).items()}
        ldm_shapes = {k: list(v.shape) for k, v in R.to_single_file(
            ldm, {k: torch.empty(s, device="meta") for k, s in shapes(vae).items()},
            {k: torch.empty(s, device="meta") for k, s in shapes(clip).items()}, cfg, SD_VAE, openclip).items()}
        assert len(ldm_shapes) == 686 + 248 + (196 if not openclip else 4 + 23 * 12), len(ldm_shapes)
        for k, s in sample.items():
            assert ldm_shapes.get(k) == s, (k, ldm_shapes.get(k), s)
    # The text encoder against the CLIP text reference (reference_vision.py) on clip_tiny's goldens.
    with open(os.path.join(HERE, "clip_tiny", "config.json")) as f:
        clip_cfg = json.load(f)["text_config"]
    tensors, _ = R.load_safetensors(os.path.join(HERE, "clip_tiny", "model.safetensors"))
    clip = R.load_state(R.CLIPTextModel(clip_cfg), {k: v for k, v in tensors.items() if k.startswith("text_model.")})
    with open(os.path.join(HERE, "goldens", "clip_tiny", "texts.json")) as f:
        texts = json.load(f)["ids"]
    worst = 0.0
    with torch.no_grad():
        for name, ids in texts.items():
            hidden, last = clip(torch.tensor([ids]))
            for got, file in ((last[0], "last_hidden_state"), (hidden[1][0], "hidden_1")):
                want = np.load(os.path.join(HERE, "goldens", "clip_tiny", f"text.{name}.{file}.npy"))
                worst = max(worst, float(np.abs(got.numpy() - want).max()))
    assert worst < 1e-5, worst
    facts["clip_tiny_text_max_abs_diff"] = worst
    # Published schedules of SD 1.5's scheduler_config.json.
    sched = {}
    pndm = R.make_scheduler(SD15_SCHEDULER)
    pndm.set_timesteps(50)
    ts = pndm.timesteps.tolist()
    assert ts[:4] == [981, 961, 961, 941] and ts[-1] == 1 and len(ts) == 51, ts[:5]
    sched["pndm_50"] = ts[:4] + ["..."] + ts[-2:]
    ddim = R.make_scheduler(SD15_SCHEDULER, "DDIMScheduler")
    ddim.set_timesteps(50)
    assert ddim.timesteps.tolist() == list(range(981, 0, -20))
    euler = R.make_scheduler(SD15_SCHEDULER, "EulerDiscreteScheduler")
    euler.set_timesteps(50)
    assert euler.timesteps[0].item() == 999.0 and abs(euler.sigmas[0].item() - 14.6146) < 1e-4, euler.sigmas[0]
    sched["euler_50_sigma_max"] = euler.sigmas[0].item()
    lcm = R.make_scheduler(SD15_SCHEDULER, "LCMScheduler")
    lcm.set_timesteps(4)
    assert lcm.timesteps.tolist() == [999, 759, 499, 259], lcm.timesteps
    turbo = R.make_scheduler(TURBO_SCHEDULER)
    turbo.set_timesteps(1)
    assert turbo.timesteps.tolist() == [999.0]
    dpm = R.make_scheduler(SD15_SCHEDULER, "DPMSolverMultistepScheduler")
    dpm.set_timesteps(25)
    assert dpm.timesteps.tolist() == [999, 959, 919, 879, 839, 799, 759, 719, 679, 639, 599, 559, 519, 480, 440, 400,
                                      360, 320, 280, 240, 200, 160, 120, 80, 40], dpm.timesteps
    sched["lcm_4"] = lcm.timesteps.tolist()
    # SD's sigma range (k-diffusion's 14.6146 .. 0.0292) as the Karras schedule's ends; alphas_cumprod[999].
    karras = R.make_scheduler(SD15_SCHEDULER, "DPMSolverMultistepScheduler", use_karras_sigmas=True)
    karras.set_timesteps(25)
    ends = [karras.sigmas[0].item(), karras.sigmas[-2].item(), karras.sigmas[-1].item()]
    assert abs(ends[0] - 14.6146) < 1e-4 and abs(ends[1] - 0.0292) < 1e-4 and ends[2] == 0.0, ends
    assert abs(karras.alphas_cumprod[999].item() - 0.00466) < 1e-5
    sched["karras_25_sigma_ends"] = ends
    facts["schedules"] = sched
    return facts


# ---------------------------------------------------------------------------------------------
# Tokenizer: diffusers' tokenizer/ form (vocab.json + merges.txt) derived from tests/data's clip_tiny.
def write_tokenizer(folder, pad_token):
    with open(os.path.join(TOKENIZER, "tokenizer.json"), encoding="utf-8") as f:
        model = json.load(f)["model"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(model["vocab"], indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")

    def added(content):
        return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False,
                "single_word": False}
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_prefix_space": False, "bos_token": added("<|startoftext|>"), "do_lower_case": True,
        "eos_token": added("<|endoftext|>"), "errors": "replace", "model_max_length": 77,
        "name_or_path": "openai/clip-vit-large-patch14", "pad_token": pad_token,
        "special_tokens_map_file": "./special_tokens_map.json", "tokenizer_class": "CLIPTokenizer",
        "unk_token": added("<|endoftext|>")})
    plain = {k: v for k, v in added("").items() if k != "__type"}
    write_json(os.path.join(folder, "special_tokens_map.json"), {
        "bos_token": dict(plain, content="<|startoftext|>"), "eos_token": dict(plain, content="<|endoftext|>"),
        "pad_token": pad_token, "unk_token": dict(plain, content="<|endoftext|>")})


def check_tokenizer(tok):
    """Our BPE against tests/data/tokenizers/clip_tiny/expected.json (transformers.js's engine)."""
    with open(os.path.join(TOKENIZER, "expected.json"), encoding="utf-8") as f:
        cases = json.load(f)
    bad = [c["text"] for c in cases if [tok.bos_id] + tok.encode(c["text"]) + [tok.eos_id] != c["ids"]]
    assert not bad, bad
    return len(cases)


# ---------------------------------------------------------------------------------------------
# Weights.
def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def random_weights(module, seed, out_gain):
    """Random values for each parameter by its role, rounded to f16 so the f16 single file holds the
    same numbers. out_gain: name -> gain for the output convs (keeps outputs near unit scale)."""
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, p in module.state_dict().items():
        shape = list(p.shape)
        leaf = name.rsplit(".", 1)[0].rsplit(".", 1)[-1]
        if ".embeddings." in name:
            v = torch.randn(shape, generator=g) * 0.5
        elif len(shape) == 1 and "norm" in leaf:
            v = torch.randn(shape, generator=g) * 0.1 + (1.0 if name.endswith("weight") else 0.0)
        elif len(shape) == 1:
            v = torch.randn(shape, generator=g) * 0.05
        else:
            fan_in = int(np.prod(shape[1:]))
            v = torch.randn(shape, generator=g) * (out_gain.get(name, 1.0) / fan_in ** 0.5)
        w[name] = v.half().float()
    return w


def build(spec):
    unet, vae, text = R.UNet2DConditionModel(spec["unet"]), R.AutoencoderKL(spec["vae"]), R.CLIPTextModel(spec["text"])
    seed = spec["seed"]
    wu = random_weights(unet, seed, {"conv_out.weight": 0.5})
    wv = random_weights(vae, seed + 1, {"decoder.conv_out.weight": 0.6})
    wt = random_weights(text, seed + 2, {})
    R.load_state(unet, wu)
    R.load_state(vae, wv)
    R.load_state(text, wt)
    for m in (unet, vae, text):
        m.eval()
    return (unet, vae, text), (wu, wv, wt)


def text_config_json(spec):
    arch = {"architectures": ["CLIPTextModel"], "attention_dropout": 0.0, "dropout": 0.0, "initializer_factor": 1.0,
            "initializer_range": 0.02, "model_type": "clip_text_model", "projection_dim": spec["text"]["hidden_size"],
            "torch_dtype": str(spec["folder_dtype"]).split(".")[1], "transformers_version": "4.25.1"}
    return dict(arch, **spec["text"])


def write_folder(spec, weights):
    folder = os.path.join(HERE, spec["name"])
    if os.path.exists(folder):
        shutil.rmtree(folder)
    wu, wv, wt = weights
    is2 = spec["openclip"]
    os.makedirs(folder)
    write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.10.0" if is2 else "0.6.0",
        "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
        "scheduler": ["diffusers", spec["scheduler"]["_class_name"]], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"]})
    for sub, cfg, w, fname in [("unet", spec["unet"], wu, "diffusion_pytorch_model.safetensors"),
                               ("vae", spec["vae"], wv, "diffusion_pytorch_model.safetensors"),
                               ("text_encoder", text_config_json(spec), wt, "model.safetensors")]:
        os.makedirs(os.path.join(folder, sub))
        write_json(os.path.join(folder, sub, "config.json"), cfg)
        if sub == "vae" and spec["deprecated_vae_attention"]:
            back = {v: k for k, v in R.DEPRECATED_VAE_ATTENTION.items()}
            w = {k.replace(".to_out.0.", "." + back["to_out.0"] + ".").replace(".to_q.", ".query.")
                 .replace(".to_k.", ".key.").replace(".to_v.", ".value."): v
                 for k, v in w.items()}
        reference_vision.save_safetensors(os.path.join(folder, sub, fname), {k: v.to(spec["folder_dtype"]) for k, v in w.items()})
    os.makedirs(os.path.join(folder, "scheduler"))
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), spec["scheduler"])
    write_tokenizer(os.path.join(folder, "tokenizer"), spec["pad_token"])
    return folder


def ldm_schedule_buffers():
    """The DDPM buffers LDM checkpoints carry (computed in float64 as LDM does, stored f32); loaders ignore them."""
    betas = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=np.float64) ** 2
    acp = np.cumprod(1.0 - betas)
    return {"betas": torch.from_numpy(betas).float(), "alphas_cumprod": torch.from_numpy(acp).float(),
            "alphas_cumprod_prev": torch.from_numpy(np.append(1.0, acp[:-1])).float()}


def write_single_file(spec, weights):
    wu, wv, wt = weights
    text = dict(wt)
    extra = {}
    if spec["openclip"]:
        # The OpenCLIP text tower has one more layer that SD 2.x does not use ("penultimate"), a
        # text_projection and a logit_scale; diffusers' conversion drops all three.
        g = torch.Generator().manual_seed(spec["seed"] + 3)
        last = random_weights(R.CLIPTextModel(dict(spec["text"], num_hidden_layers=1)), spec["seed"] + 3, {})
        n = spec["text"]["num_hidden_layers"]
        for k, v in last.items():
            if ".layers.0." in k:
                text[k.replace(".layers.0.", f".layers.{n}.")] = v
        d = spec["text"]["hidden_size"]
        extra["cond_stage_model.model.text_projection"] = (torch.randn(d, d, generator=g) * d ** -0.5).half().float()
        extra["cond_stage_model.model.logit_scale"] = torch.tensor(4.6052)
    else:
        extra["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77)[None]
    sd = R.to_single_file(wu, wv, text, spec["unet"], spec["vae"], spec["openclip"])
    sd.update(extra)
    stored = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
    stored.update(ldm_schedule_buffers())
    path = os.path.join(HERE, spec["name"] + ".safetensors")
    reference_vision.save_safetensors(path, stored, spec["ldm_metadata"])
    # Mapping back from the file gives the diffusers tensors exactly.
    back, meta = R.load_safetensors(path)
    assert meta == dict(spec["ldm_metadata"], format="pt")
    bu, bv, bt = R.from_single_file(back, spec["unet"], spec["vae"], spec["text"]["num_hidden_layers"], spec["openclip"])
    for mine, theirs in [(wu, bu), (wv, bv), (wt, bt)]:
        assert set(mine) == set(theirs), set(mine) ^ set(theirs)
        for k in mine:
            assert torch.equal(mine[k], theirs[k]), k
    return path, len(stored)


def check_folder_loads(folder, spec, modules):
    """The written folder loads back (strict names) into fresh modules with identical tensors."""
    for sub, fname, cls, cfg, ref in [("unet", "diffusion_pytorch_model.safetensors", R.UNet2DConditionModel, spec["unet"], modules[0]),
                                      ("vae", "diffusion_pytorch_model.safetensors", R.AutoencoderKL, spec["vae"], modules[1]),
                                      ("text_encoder", "model.safetensors", R.CLIPTextModel, spec["text"], modules[2])]:
        with open(os.path.join(folder, sub, "config.json")) as f:
            m = cls(json.load(f))
        R.load_state(m, R.load_safetensors(os.path.join(folder, sub, fname))[0])
        for k, v in m.state_dict().items():
            assert torch.equal(v, ref.state_dict()[k]), (sub, k)


# ---------------------------------------------------------------------------------------------
# Goldens.
def save(out, name, value):
    arr = value.detach().numpy() if torch.is_tensor(value) else value
    np.save(os.path.join(out, name), arr if arr.dtype == np.uint8 else arr.astype(np.float32))


def scheduler_tables(out):
    """Schedules of every scheduler for 4, 10 and 25 steps from SD 1.5's config (plus variants), and
    a model-free trajectory (4 and 10 steps) so the C++ step arithmetic can be tested alone."""
    variants = {
        "ddim": (SD15_SCHEDULER, "DDIMScheduler", {}),
        "ddim_linspace": (SD15_SCHEDULER, "DDIMScheduler", {"timestep_spacing": "linspace"}),
        "ddim_trailing_v": (SD21_SCHEDULER, "DDIMScheduler", {"timestep_spacing": "trailing"}),
        "ddim_v_alpha_one": (SD21_SCHEDULER, "DDIMScheduler", {"set_alpha_to_one": True}),
        "pndm": (SD15_SCHEDULER, "PNDMScheduler", {}),
        "pndm_prk": (SD15_SCHEDULER, "PNDMScheduler", {"skip_prk_steps": False}),
        "euler": (SD15_SCHEDULER, "EulerDiscreteScheduler", {}),
        "euler_leading": (SD15_SCHEDULER, "EulerDiscreteScheduler", {"timestep_spacing": "leading"}),
        "euler_karras": (SD15_SCHEDULER, "EulerDiscreteScheduler", {"use_karras_sigmas": True}),
        "euler_v": (SD21_SCHEDULER, "EulerDiscreteScheduler", {}),
        "euler_a": (SD15_SCHEDULER, "EulerAncestralDiscreteScheduler", {}),
        "euler_a_turbo": (TURBO_SCHEDULER, "EulerAncestralDiscreteScheduler", {}),
        "dpmpp_2m": (SD15_SCHEDULER, "DPMSolverMultistepScheduler", {}),
        "dpmpp_2m_karras": (SD15_SCHEDULER, "DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
        "dpmpp_2m_leading": (SD15_SCHEDULER, "DPMSolverMultistepScheduler", {"timestep_spacing": "leading"}),
        "dpmpp_2m_trailing_v": (SD21_SCHEDULER, "DPMSolverMultistepScheduler", {"timestep_spacing": "trailing"}),
        "lcm": (SD15_SCHEDULER, "LCMScheduler", {}),
    }
    os.makedirs(out, exist_ok=True)
    x0 = torch.tensor([[[[0.9, -0.4], [0.1, -1.3]]]])
    for name, (cfg, cls, over) in variants.items():
        entry = {"class": cls, "config_file": cfg, "overrides": over}
        s = R.make_scheduler(cfg, cls, **over)
        entry["config"] = {k: v for k, v in s.config.items() if v != float("-inf")}
        entry["alphas_cumprod"] = {str(i): s.alphas_cumprod[i].item() for i in (0, 1, 259, 499, 500, 759, 981, 998, 999)}
        for steps in (4, 10, 25):
            s = R.make_scheduler(cfg, cls, **over)
            s.set_timesteps(steps)
            entry[str(steps)] = s.table()
            if steps == 25:
                continue
            # Model-free trajectory: model_output = 0.5 * tanh(x) + t / 1000 (t as the scheduler passes it),
            # the draws of stochastic schedulers noise_i = cos(i + 0.25 * j) over the 4 values j.
            x = x0 * s.init_noise_sigma
            traj = []
            for i, t in enumerate(s.timesteps):
                inp = s.scale_model_input(x, t)
                eps = 0.5 * torch.tanh(inp) + float(t) / 1000
                noise = torch.cos(i + 0.25 * torch.arange(4.0)).view(1, 1, 2, 2)
                x = s.step(eps, t, x, noise=noise)
                traj.append(x.flatten().tolist())
            entry[str(steps)]["trajectory"] = traj
        entry["trajectory_start"] = x0.flatten().tolist()
        write_json(os.path.join(out, f"{name}.json"), entry)
    s = R.make_scheduler(SD15_SCHEDULER)
    write_json(os.path.join(out, "alphas_cumprod_scaled_linear.json"), {
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012,
        "alphas_cumprod": s.alphas_cumprod.tolist()})


def goldens(spec, modules, folder, check_tokens):
    unet, vae, text = modules
    out = os.path.join(HERE, "goldens", spec["name"])
    os.makedirs(out, exist_ok=True)
    for entry in os.listdir(out):  # everything but the README is regenerated
        if entry != "README.md":
            path = os.path.join(out, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    tok = R.CLIPTokenizer.from_folder(os.path.join(folder, "tokenizer"))
    tokens = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "prompt_ids": tok(PROMPT), "negative_ids": tok(NEGATIVE),
              "pad_id": tok.pad_id, "tokenizer_cases_checked": check_tokens(tok)}
    write_json(os.path.join(out, "tokens.json"), tokens)
    g = torch.Generator().manual_seed(spec["seed"] + 10)
    noise = torch.randn(4, H // 8, W // 8, generator=g)
    step_noise = torch.randn(STEPS + 1, 4, H // 8, W // 8, generator=g)
    save(out, "noise.npy", noise)
    save(out, "step_noise.npy", step_noise)
    with torch.no_grad():
        for key, ids in (("prompt", tokens["prompt_ids"]), ("negative", tokens["negative_ids"])):
            hidden, last = text(torch.tensor([ids]))
            save(out, f"text.{key}.last_hidden_state.npy", last[0])
            save(out, f"text.{key}.penultimate.npy", text.text_model.final_layer_norm(hidden[-2])[0])
        uncond, cond = R.encode_prompts(text, tok, PROMPT, NEGATIVE)
        ts = torch.tensor([1, 999])
        save(out, "timestep.proj.npy", unet.time_proj(ts))
        save(out, "timestep.embedding.npy", unet.time_embedding(unet.time_proj(ts)))
        unet_cases = {}
        for t in (999, 500.5):
            name = f"unet.t{str(t).replace('.', '_')}.npy"
            save(out, name, unet(noise[None], torch.tensor(t), cond)[0])
            unet_cases[name] = {"sample": "noise.npy", "timestep": t, "encoder_hidden_states": "text.prompt.last_hidden_state.npy"}
        z = torch.randn(4, H // 8, W // 8, generator=g)
        save(out, "vae.decode.in.npy", z)
        save(out, "vae.decode.out.npy", vae.decode(z[None])[0])
        rgb = gen_images.pattern(W, H, spec["seed"])
        Image.fromarray(rgb).save(os.path.join(out, "image.png"))
        mean, logvar = vae.encode(R.image_to_tensor(rgb))
        save(out, "vae.encode.mean.npy", mean[0])
        save(out, "vae.encode.logvar.npy", logvar[0])
        runs = dict(RUNS)
        sched_cfg = spec["scheduler"]
        configs = {k: (sched_cfg, cls, over, steps, CFG) for k, (cls, over, steps) in runs.items()}
        if spec["openclip"]:
            write_json(os.path.join(out, "turbo_scheduler_config.json"), TURBO_SCHEDULER)
            configs["turbo"] = (TURBO_SCHEDULER, "EulerAncestralDiscreteScheduler", {}, 1, 0.0)
        summary = {}
        for name, (cfg, cls, over, steps, guidance) in configs.items():
            s = R.make_scheduler(cfg, cls, **over)
            trace = []
            lat = R.txt2img_latents(unet, s, noise, steps, cond, uncond, guidance,
                                    step_noise if getattr(s, "stochastic", False) else None, trace)
            decoded, img = R.decode_latents(vae, lat)
            save(out, f"txt2img.{name}.latents.npy", torch.stack([x for _, _, x in trace]))
            save(out, f"txt2img.{name}.noise_pred.npy", torch.stack([p for _, p, _ in trace]))
            save(out, f"txt2img.{name}.final.npy", lat[0])
            save(out, f"txt2img.{name}.image.npy", img)
            summary[name] = {"class": cls, "config_file": "turbo_scheduler_config.json" if name == "turbo" else
                             "scheduler/scheduler_config.json", "overrides": over, "steps": steps,
                             "guidance_scale": guidance, "uses_step_noise": bool(getattr(s, "stochastic", False)),
                             "timesteps": s.timesteps.tolist(), "init_noise_sigma": float(s.init_noise_sigma),
                             "sigmas": s.sigmas.tolist() if hasattr(s, "sigmas") else None,
                             "final_abs_max": float(lat.abs().max()), "image_mean": float(img.mean())}
        img2img = {}
        if not spec["openclip"]:
            sample_noise = torch.randn(4, H // 8, W // 8, generator=g)
            add_noise = torch.randn(4, H // 8, W // 8, generator=g)
            save(out, "img2img.sample_noise.npy", sample_noise)
            save(out, "img2img.noise.npy", add_noise)
            for name, cls in (("ddim", "DDIMScheduler"), ("euler", "EulerDiscreteScheduler")):
                s = R.make_scheduler(sched_cfg, cls)
                trace = []
                lat, used = R.img2img_latents(unet, vae, s, R.image_to_tensor(rgb), 0.6, STEPS, cond, uncond, CFG,
                                              sample_noise, add_noise, None, trace)
                _, img = R.decode_latents(vae, lat)
                save(out, f"img2img.{name}.latents.npy", torch.stack([x for _, _, x in trace]))
                save(out, f"img2img.{name}.final.npy", lat[0])
                save(out, f"img2img.{name}.image.npy", img)
                img2img[name] = {"class": cls, "steps": STEPS, "strength": 0.6, "guidance_scale": CFG,
                                 "timesteps": used.tolist(), "init_image": "image.png"}
    write_json(os.path.join(out, "cases.json"), {"height": H, "width": W, "prompt": PROMPT, "negative_prompt": NEGATIVE,
                                                 "unet": unet_cases, "txt2img": summary, "img2img": img2img,
                                                 "timestep_embedding_t": [1, 999]})
    return summary


def main():
    torch.set_num_threads(1)
    facts = check_reference()
    print("reference checks:", json.dumps(facts))
    for spec in (SD1, SD2):
        modules, weights = build(spec)
        folder = write_folder(spec, weights)
        check_folder_loads(folder, spec, modules)
        path, n = write_single_file(spec, weights)
        summary = goldens(spec, modules, folder, check_tokenizer)
        print(spec["name"], "single file tensors:", n)
        for k, v in summary.items():
            print(f"  {k}: final |max| {v['final_abs_max']:.3f} image mean {v['image_mean']:.1f} timesteps {v['timesteps']}")
    scheduler_tables(os.path.join(HERE, "goldens", "sd_tiny", "schedulers"))


if __name__ == "__main__":
    sys.exit(main())
