"""Facet: multimodal LLM inference on Vulkan.

    import facet
    clip = facet.Model("models/clip-vit-base-patch32")
    vectors = clip.embed_images(["cat.jpg", "dog.png"])        # numpy float32 [2, 512]
    llava = facet.Model("models/llava-1.5-7b-hf")
    print(llava.generate("What is in the picture?", images=["cat.jpg"]))
    for piece in llava.generate_stream("Describe it.", images=["cat.jpg"]):
        print(piece, end="", flush=True)

Models share one Vulkan device unless given `device=facet.Device(...)`. Calls release the GIL
while the model runs; the calls of the models on one device run one at a time. Errors raise
facet.Error subclasses: InputError (a file, image, prompt), UsageError (a call the model cannot
answer, a bad argument), PluginError, GpuError, InternalError.
"""
import os as _os

from .facet_native import (  # noqa: F401
    Device,
    MINE_PAIRS_BLOCK,
    Error,
    GpuError,
    InputError,
    InternalError,
    Model,
    PluginError,
    TextStream,
    UsageError,
    devices,
    mine_pairs_from_embeddings,
    mmvp,
    set_log_level,
    version,
)

__version__ = version()

# A library should not chat on stderr: warnings and errors only, unless FACET_LOG_LEVEL says.
set_log_level(_os.environ.get("FACET_LOG_LEVEL", "warn"))


def mine_pairs(clip, dino, images, clip_threshold=0.95, dino_threshold=0.6):
    """CLIP-blind pairs among `images` (paths): CLIP cosine above `clip_threshold`, DINOv2 cosine
    below `dino_threshold` ("Eyes Wide Shut?", Tong et al. 2024). `clip` and `dino` are Models
    (or folder paths). Returns a list of (image_a, image_b, clip_cosine, dino_cosine), as
    `facet mine-pairs` writes them, in the same order."""
    clip = clip if isinstance(clip, Model) else Model(clip)
    dino = dino if isinstance(dino, Model) else Model(dino)
    images = [_os.fspath(p) for p in images]
    pairs = mine_pairs_from_embeddings(clip.embed_images(images), dino.embed_images(images),
                                       clip_threshold, dino_threshold)
    return [(images[a], images[b], c, d) for a, b, c, d in pairs]


__all__ = [
    "Device", "Model", "TextStream", "Error", "InputError", "UsageError", "PluginError", "GpuError",
    "InternalError", "MINE_PAIRS_BLOCK", "devices", "mine_pairs", "mine_pairs_from_embeddings", "mmvp", "set_log_level",
    "version", "__version__",
]
