"""A PyTorch reference of Hugging Face's Kosmos2ForConditionalGeneration and of
Kosmos2Processor's prompt layout and post-processing, written for Facet's tests from the published
definitions (transformers' modeling_kosmos2.py, processing_kosmos2.py). Float32 throughout; the
weights are a dict name -> tensor with transformers' names.

  vision:      the CLIP vision transformer under vision_model.model.* (reference_vision.clip_vision);
               Kosmos-2 uses its last hidden state, all tokens (CLS included).
  projection:  post_layernorm over every token, L2 normalization (F.normalize, eps 1e-12), then
               Kosmos2ImageToTextConnector: dense, and latent_query_num learned queries attending
               (KosmosTextAttention, no inner LayerNorm) to cat(dense(features), latent_query).
  text:        Kosmos2TextTransformer: embed_tokens, image rows written where
               image_embeds_position_mask is 1, then everything scaled by sqrt(embed_dim) when
               scale_embedding; plus M2M100 sinusoidal positions whose ids count from
               pad_token_id + 1 (create_position_ids_from_input_ids); pre-LayerNorm blocks
               (self_attn_layer_norm, attention with inner_attn_ln before out_proj, residual;
               final_layer_norm, fc1, activation, ffn_layernorm, fc2, residual); final layer_norm;
               lm_head tied to embed_tokens (text_model.lm_head.weight when stored).
Only torch and numpy are needed."""
import math
import re

import torch
import torch.nn.functional as F

import reference_vision as ref

VISION = "vision_model.model."
CONNECTOR = "image_to_text_projection."
TEXT = "text_model.model."

# Kosmos2VisionConfig and Kosmos2TextConfig defaults.
VISION_DEFAULTS = {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16,
                   "num_channels": 3, "image_size": 224, "patch_size": 14, "hidden_act": "quick_gelu",
                   "layer_norm_eps": 1e-5}
TEXT_DEFAULTS = {"vocab_size": 65037, "max_position_embeddings": 2048, "embed_dim": 2048, "layers": 24,
                 "ffn_dim": 8192, "attention_heads": 32, "activation_function": "gelu", "layer_norm_eps": 1e-5,
                 "scale_embedding": True, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}

# Kosmos2Processor's tag tokens, in the order the tokenizer numbers them after <mask>.
TAG_TOKENS = ["</doc>", "<image>", "</image>", "</chunk>", "</line>", "<phrase>", "</phrase>", "<object>",
              "</object>", "</delimiter_of_multi_objects/>", "<grounding>"]
NUM_PATCH_INDEX_TOKENS = 1024


def configs(config):
    """(vision config, text config, latent_query_num) with the config classes' defaults filled."""
    return ({**VISION_DEFAULTS, **config.get("vision_config", {})}, {**TEXT_DEFAULTS, **config.get("text_config", {})},
            config.get("latent_query_num", 64))


def vision(w, vcfg, pixels):
    """Last hidden state f32 [1 + grid^2, D_vision] of the vision tower (not normed)."""
    renamed = {"vision_model." + k[len(VISION):]: v for k, v in w.items() if k.startswith(VISION)}
    return ref.clip_vision(renamed, vcfg, pixels)["last_hidden_state"]


def text_attention(x, kv, w, prefix, heads, inner_ln_eps=None, mask=None):
    """KosmosTextAttention: queries from x [Tq, D], keys and values from kv [Tk, D]; q scaled by
    head_dim^-0.5 before the product; inner_attn_ln over the heads' concatenation when given."""
    tq, d = x.shape
    tk, hd = kv.shape[0], d // heads
    q = (ref.linear(x, w, prefix + "q_proj") * hd ** -0.5).view(tq, heads, hd).transpose(0, 1)
    k = ref.linear(kv, w, prefix + "k_proj").view(tk, heads, hd).transpose(0, 1)
    v = ref.linear(kv, w, prefix + "v_proj").view(tk, heads, hd).transpose(0, 1)
    scores = q @ k.transpose(1, 2)
    if mask is not None:
        scores = scores + mask
    out = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(tq, d)
    if inner_ln_eps is not None:
        out = F.layer_norm(out, (d,), w[prefix + "inner_attn_ln.weight"], w[prefix + "inner_attn_ln.bias"], inner_ln_eps)
    return ref.linear(out, w, prefix + "out_proj")


def projection(w, vcfg, tcfg, last_hidden_state):
    """Image embeddings f32 [latent_query_num, embed_dim] from the vision tower's last hidden state."""
    d = vcfg["hidden_size"]
    x = F.layer_norm(last_hidden_state, (d,), w[VISION + "post_layernorm.weight"], w[VISION + "post_layernorm.bias"],
                     vcfg["layer_norm_eps"])
    x = F.normalize(x, dim=-1)
    h = ref.linear(x, w, CONNECTOR + "dense")
    latents = w[CONNECTOR + "latent_query"]
    return text_attention(latents, torch.cat([h, latents]), w, CONNECTOR + "x_attn.", tcfg["attention_heads"])


def sinusoidal_table(rows, dim, padding_idx):
    """M2M100SinusoidalPositionalEmbedding.get_embedding: [rows, dim], row padding_idx zero."""
    half = dim // 2
    step = math.log(10000) / (half - 1)
    freq = torch.exp(torch.arange(half, dtype=torch.float) * -step)
    angles = torch.arange(rows, dtype=torch.float).unsqueeze(1) * freq.unsqueeze(0)
    table = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1).view(rows, -1)
    if dim % 2 == 1:
        table = torch.cat([table, torch.zeros(rows, 1)], dim=1)
    if padding_idx is not None:
        table[padding_idx, :] = 0
    return table


def position_ids(ids, padding_idx):
    """create_position_ids_from_input_ids: non-pad tokens count from padding_idx + 1."""
    mask = ids.ne(padding_idx).int()
    return (torch.cumsum(mask, dim=0).type_as(mask) * mask).long() + padding_idx


def text_logits(w, tcfg, ids, image_embeds=None, image_mask=None):
    """Logits f32 [T, vocab] of the whole sequence `ids` (list of ints), with image_embeds
    [L, D] written where image_mask (list of 0/1) is 1."""
    d, eps, heads = tcfg["embed_dim"], tcfg["layer_norm_eps"], tcfg["attention_heads"]
    act = ref.ACTIVATIONS[tcfg["activation_function"]]
    ids_t = torch.tensor(ids)
    x = w[TEXT + "embed_tokens.weight"][ids_t].clone()
    if image_embeds is not None:
        x[torch.tensor(image_mask, dtype=torch.bool)] = image_embeds
    if tcfg["scale_embedding"]:
        x = x * math.sqrt(d)
    pos = position_ids(ids_t, tcfg["pad_token_id"])
    table = sinusoidal_table(max(tcfg["max_position_embeddings"] + 2, int(pos.max()) + 1), d, tcfg["pad_token_id"])
    x = x + table.index_select(0, pos)
    t = len(ids)
    mask = torch.full((t, t), float("-inf")).triu(1)
    for i in range(tcfg["layers"]):
        l = f"{TEXT}layers.{i}."
        h = F.layer_norm(x, (d,), w[l + "self_attn_layer_norm.weight"], w[l + "self_attn_layer_norm.bias"], eps)
        x = x + text_attention(h, h, w, l + "self_attn.", heads, eps, mask)
        h = F.layer_norm(x, (d,), w[l + "final_layer_norm.weight"], w[l + "final_layer_norm.bias"], eps)
        h = act(ref.linear(h, w, l + "ffn.fc1"))
        h = F.layer_norm(h, (tcfg["ffn_dim"],), w[l + "ffn.ffn_layernorm.weight"], w[l + "ffn.ffn_layernorm.bias"], eps)
        x = x + ref.linear(h, w, l + "ffn.fc2")
    x = F.layer_norm(x, (d,), w[TEXT + "layer_norm.weight"], w[TEXT + "layer_norm.bias"], eps)
    head = w.get("text_model.lm_head.weight", w[TEXT + "embed_tokens.weight"])
    return x @ head.t()


# ---- Kosmos2Processor: the prompt layout -------------------------------------------------------

def prompt_layout(text_ids, bos_id, unk_id, boi_id, eoi_id, num_image_tokens):
    """input_ids and image_embeds_position_mask as Kosmos2Processor gives them for one image and a
    prompt whose text (after "<image> ... </image> ") tokenizes to text_ids, with add_special_tokens
    and no EOS: <s> <image> (num_image_tokens ids from unk_id + 1 on) </image> text."""
    image_ids = list(range(unk_id + 1, unk_id + 1 + num_image_tokens))
    ids = [bos_id, boi_id] + image_ids + [eoi_id] + list(text_ids)
    mask = [0, 0] + [1] * num_image_tokens + [0] + [0] * len(text_ids)
    return ids, mask


# ---- Kosmos2Processor.post_process_generation ---------------------------------------------------

ENTITY = re.compile(r"(?:(<phrase>([^<]+)</phrase>))?<object>((?:<patch_index_\d+><patch_index_\d+>"
                    r"</delimiter_of_multi_objects/>)*<patch_index_\d+><patch_index_\d+>)</object>")
TAG = re.compile(r"<.*?>")
PATCH = re.compile(r"<patch_index_(\d+)>")


def patch_index_to_coordinate(ul, lr, per_side):
    """Normalized (x1, y1, x2, y2) of the box between grid cells ul and lr: whole cells when both
    corners share a row or a column, cell centres otherwise."""
    cell = 1.0 / per_side
    ulx, uly, lrx, lry = ul % per_side, ul // per_side, lr % per_side, lr // per_side
    if ul == lr or ulx == lrx or uly == lry:
        return ulx * cell, uly * cell, lrx * cell + cell, lry * cell + cell
    return ulx * cell + cell / 2, uly * cell + cell / 2, lrx * cell + cell / 2, lry * cell + cell / 2


def entities_with_patch_indices(text):
    """(phrase, (start, end) in `text`, [(ul, lr), ...]); an <object> without a phrase gives one
    entity per box named by its patch tokens, with an empty span at the <object>."""
    out = []
    for m in ENTITY.finditer(text):
        tagged, phrase, content = m.groups()
        boxes = []
        for pair in content.split("</delimiter_of_multi_objects/>"):
            first, second = PATCH.search(pair), PATCH.search(pair[1:])
            if first and second:
                boxes.append((int(first.group(1)), int(second.group(1))))
        if tagged:
            out.append((phrase, m.span(2), boxes))
        else:
            at = m.span(0)[0]
            for b in boxes:
                out.append((f"<patch_index_{b[0]}><patch_index_{b[1]}>", (at, at), [b]))
    return out


def clean_text_and_extract_entities_with_bboxes(text, per_side=32):
    cleaned = TAG.sub("", text)
    entities = []
    for name, (start, end), boxes in entities_with_patch_indices(text):
        start, end = len(TAG.sub("", text[:start])), len(TAG.sub("", text[:end]))
        entities.append((name, (start, end), [patch_index_to_coordinate(a, b, per_side) for a, b in boxes]))
    return cleanup_spaces(cleaned, entities)


def cleanup_spaces(text, entities):
    """_cleanup_spaces: strip the text and each phrase, moving the spans with them."""
    lead = len(text) - len(text.lstrip())
    out = []
    for name, (start, end), boxes in entities:
        name_lead, name_trail = len(name) - len(name.lstrip()), len(name) - len(name.rstrip())
        out.append((name.strip(), (start - lead + name_lead, end - lead - name_trail), boxes))
    return text.strip(), out


def post_process_generation(text, cleanup_and_extract=True):
    caption = text.split("</image>")[-1]
    return clean_text_and_extract_entities_with_bboxes(caption) if cleanup_and_extract else caption
