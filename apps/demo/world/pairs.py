"""MMVP-style pairs: two scenes that differ in exactly one visual pattern, with one question whose
right option differs between them, and (for the patterns a single statement can name) the two
MMVP-VLM statements, statement 1 true of image 1 only and statement 2 of image 2 only."""
import copy

from .language import NUMBERS, PLURALS, a, reference, where_words
from .scene import CELLS, COLOURS, ORIENTATIONS, OPPOSITE, make_object, place, sample_scene

# Our pattern key -> the name MMVP's nine visual patterns give it.
PATTERNS = {
    "orientation": "Orientation and Direction",
    "colour": "Color and Appearance",
    "count": "Quantity and Count",
    "presence": "Presence of Specific Features",
    "position": "Positional and Relational Context",
    "size": "Structural and Physical Characteristics",
}
ALL_CELLS = [c for row in CELLS for c in row]


def _free_cells(scene):
    used = {o["cell"] for o in scene["objects"]}
    return [c for c in ALL_CELLS if c not in used]


def _unique_shape(scene):
    return [o for o in scene["objects"] if sum(p["shape"] == o["shape"] for p in scene["objects"]) == 1]


def _vary(rng, base, pattern):
    """(second scene, index of the changed object or None, question, answer 1, answer 2,
    statement 1, statement 2) or None when the base scene does not suit the pattern."""
    w, h = base["width"], base["height"]
    other = copy.deepcopy(base)
    objs = other["objects"]
    if pattern == "orientation":
        cands = [i for i, o in enumerate(base["objects"]) if o["orientation"] and reference(base, o)]
        if not cands:
            return None
        i = rng.choice(cands)
        o = base["objects"][i]
        new = OPPOSITE[o["orientation"]] if rng.random() < 0.5 else rng.choice(
            [d for d in ORIENTATIONS[o["shape"]] if d != o["orientation"]])
        objs[i]["orientation"] = new
        q = f"Which way is {reference(base, o)} pointing?"
        s1 = f"{a(o['shape'])} pointing {o['orientation']}"
        s2 = f"{a(o['shape'])} pointing {new}"
        if sum(p["shape"] == o["shape"] for p in base["objects"]) > 1:
            s1 = s2 = None  # "an arrow pointing left" would not say which arrow
        return other, i, q, o["orientation"], new, s1, s2
    if pattern == "colour":
        cands = [base["objects"].index(o) for o in _unique_shape(base)]
        if not cands:
            return None
        i = rng.choice(cands)
        o = base["objects"][i]
        new = rng.choice([c for c in sorted(COLOURS) if c != o["colour"]])
        objs[i]["colour"], objs[i]["rgb"] = new, list(COLOURS[new])
        return (other, i, f"What colour is the {o['shape']}?", o["colour"], new,
                a(f"{o['colour']} {o['shape']}"), a(f"{new} {o['shape']}"))
    if pattern == "size":
        cands = [base["objects"].index(o) for o in _unique_shape(base)]
        if not cands:
            return None
        i = rng.choice(cands)
        o = base["objects"][i]
        new = "small" if o["size"] == "large" else "large"
        objs[i]["size"] = new
        q = f"Is the {o['colour']} {o['shape']} small or large?"
        return other, i, q, o["size"], new, a(f"{o['size']} {o['shape']}"), a(f"{new} {o['shape']}")
    if pattern == "position":
        cands = [base["objects"].index(o) for o in _unique_shape(base)]
        free = _free_cells(base)
        if not cands or not free:
            return None
        i = rng.choice(cands)
        o = base["objects"][i]
        cell = rng.choice(free)
        moved = make_object(rng, o["shape"], o["colour"], o["size"], cell, w, h, o["orientation"])
        objs[i] = moved
        return (other, i, f"Where is the {o['shape']}?", where_words(o["cell"]), where_words(cell),
                f"{a(o['shape'])} {where_words(o['cell'])}", f"{a(o['shape'])} {where_words(cell)}")
    if pattern == "count":
        free = _free_cells(base)
        if not free:
            return None
        s = rng.choice(sorted({o["shape"] for o in base["objects"]}))
        n = sum(o["shape"] == s for o in base["objects"])
        objs.append(make_object(rng, s, rng.choice(sorted(COLOURS)), rng.choice(["small", "large"]),
                                rng.choice(free), w, h))
        q = f"How many {PLURALS[s]} are there?"
        word = lambda k: f"{NUMBERS[k]} {PLURALS[s] if k > 1 else s}"
        return other, len(objs) - 1, q, NUMBERS[n], NUMBERS[n + 1], word(n), word(n + 1)
    if pattern == "presence":
        cands = [i for i, o in enumerate(base["objects"])
                 if sum(p["colour"] == o["colour"] and p["shape"] == o["shape"] for p in base["objects"]) == 1]
        if len(base["objects"]) < 2 or not cands:
            return None
        i = rng.choice(cands)
        o = objs.pop(i)
        q = f"Is there {a(o['colour'] + ' ' + o['shape'])}?"
        return other, i, q, "yes", "no", None, None
    raise ValueError(pattern)


def make_pair(rng, pattern, width, height, tries=200):
    """A dict: pattern, mmvp (MMVP's pattern name), scenes [2], changed (object index), question,
    options ("(a) .. (b) .."), correct ["(a)"|"(b)", ...], answers, statements (or None)."""
    for _ in range(tries):
        base = sample_scene(rng, width, height, n_objects=rng.choice([1, 2, 2, 3]))
        got = _vary(rng, base, pattern)
        if got is None:
            continue
        other, changed, question, ans1, ans2, s1, s2 = got
        if not place(other["objects"], width, height):
            continue
        first = [ans1, ans2] if rng.random() < 0.5 else [ans2, ans1]
        options = f"(a) {first[0]} (b) {first[1]}"
        correct = ["(a)" if first[0] == ans else "(b)" for ans in (ans1, ans2)]
        return {"pattern": pattern, "mmvp": PATTERNS[pattern], "scenes": [base, other], "changed": changed,
                "question": question, "options": options, "correct": correct, "answers": [ans1, ans2],
                "statements": [s1, s2] if s1 and s2 else None}
    raise RuntimeError(f"no pair for pattern {pattern}")
