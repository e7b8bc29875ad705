"""PyTorch reference of Stable Diffusion 1.x / 2.x / Turbo for Facet's tests, written from the
published definitions of diffusers (UNet2DConditionModel, AutoencoderKL, the schedulers, the
StableDiffusion txt2img/img2img pipelines) and transformers (CLIPTextModel, CLIPTokenizer).

Every module's parameter names are the diffusers / transformers state-dict names, so a folder's
safetensors load with load_state_dict(strict=True). Everything runs in float32 on the CPU.

Contents:
- CLIPTokenizer: byte-level BPE with CLIP's "</w>" word ends, from vocab.json + merges.txt
  (the form diffusers ships in tokenizer/) or from a tokenizer.json.
- CLIPTextModel: hidden states as transformers numbers them; prompt_embeds(ids, clip_skip).
- UNet2DConditionModel: CrossAttnDownBlock2D, DownBlock2D, UNetMidBlock2DCrossAttn, UpBlock2D,
  CrossAttnUpBlock2D, Transformer2DModel (conv or linear projection), every size from config.json.
- AutoencoderKL: encoder (mean, logvar), decoder, quant convs, mid-block attention.
- Schedulers: DDIM, PNDM (PRK + PLMS), Euler, Euler ancestral, DPM-Solver++ 2M (optionally Karras
  sigmas), LCM; built from a scheduler_config.json dict, absent keys taking the class's defaults.
- txt2img / img2img: the pipeline's loop (classifier-free guidance with a negative prompt,
  init_noise_sigma, scale_model_input, strength), with every random draw passed in as a tensor.
- Single-file (CompVis/LDM) key names: ldm_key_map(...) gives the explicit name pairs."""

import numpy as np
import torch

# The reference is split by concept; `import sd_ref` gives all of it.
from sd_ref_layers import *  # noqa: F401,F403
from sd_ref_text import *  # noqa: F401,F403
from sd_ref_unet import *  # noqa: F401,F403
from sd_ref_vae import *  # noqa: F401,F403
from sd_ref_schedulers import *  # noqa: F401,F403
from sd_ref_ldm import *  # noqa: F401,F403

# ---------------------------------------------------------------------------------------------
# Pipelines (StableDiffusionPipeline / StableDiffusionImg2ImgPipeline).
def encode_prompts(text_model, tokenizer, prompt, negative, clip_skip=None):
    ids = torch.tensor([tokenizer(negative), tokenizer(prompt)])
    emb = text_model.prompt_embeds(ids, clip_skip)
    return emb[0:1], emb[1:2]


def denoise(unet, scheduler, latents, timesteps, cond, uncond, guidance, step_noise=None, trace=None):
    """The denoising loop from the given latents over the given timesteps. step_noise[i] is the
    draw a stochastic scheduler makes at step i. trace, a list, receives (t, noise_pred, latents)."""
    cfg = guidance > 1.0
    context = torch.cat([uncond, cond]) if cfg else cond
    for i, t in enumerate(timesteps):
        inp = torch.cat([latents] * 2) if cfg else latents
        inp = scheduler.scale_model_input(inp, t)
        pred = unet(inp, t, context)
        if cfg:
            u, c = pred.chunk(2)
            pred = u + guidance * (c - u)
        latents = scheduler.step(pred, t, latents, noise=None if step_noise is None else step_noise[i][None])
        if trace is not None:
            trace.append((t, pred[0], latents[0]))
    return latents


def txt2img_latents(unet, scheduler, noise, steps, cond, uncond, guidance, step_noise=None, trace=None):
    """noise [4, h, w] as --noise-in gives it; latents = noise * init_noise_sigma."""
    scheduler.set_timesteps(steps)
    latents = noise[None].float() * scheduler.init_noise_sigma
    return denoise(unet, scheduler, latents, scheduler.timesteps, cond, uncond, guidance, step_noise, trace)


def img2img_latents(unet, vae, scheduler, image, strength, steps, cond, uncond, guidance, sample_noise, noise,
                    step_noise=None, trace=None):
    """image [1, 3, H, W] in [-1, 1]. Timesteps cut as get_timesteps does; init latents =
    scaling_factor * (mean + std * sample_noise) (latent_dist.sample), then scheduler.add_noise."""
    scheduler.set_timesteps(steps)
    init_t = min(int(steps * strength), steps)
    t_start = max(steps - init_t, 0)
    timesteps = scheduler.timesteps[t_start * scheduler.order:]
    if hasattr(scheduler, "set_begin_index") and not isinstance(scheduler, PNDMScheduler):
        scheduler.set_begin_index(t_start * scheduler.order)
    mean, logvar = vae.encode(image)
    init = vae.config["scaling_factor"] * (mean + torch.exp(0.5 * logvar) * sample_noise[None])
    latents = scheduler.add_noise(init, noise[None], timesteps[:1])
    return denoise(unet, scheduler, latents, timesteps, cond, uncond, guidance, step_noise, trace), timesteps


def decode_latents(vae, latents):
    """vae.decode(latents / scaling_factor) -> float [3, H, W] (unclamped) and uint8 [H, W, 3]
    as VaeImageProcessor.postprocess + numpy_to_pil: round(clamp(x / 2 + 0.5, 0, 1) * 255)."""
    x = vae.decode(latents / vae.config["scaling_factor"])
    img = (x / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).float().numpy()
    return x[0], (img[0] * 255).round().astype(np.uint8)


def image_to_tensor(rgb_uint8):
    """VaeImageProcessor.preprocess for an image already a multiple of 8: [H, W, 3] uint8 -> [1, 3, H, W]."""
    x = torch.from_numpy(rgb_uint8.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    return 2.0 * x - 1.0
