"""Text about a scene record: captions, questions with answers, grounded answers (Shikra boxes)
and CLIP-style statements. Everything is a function of the record and a random.Random, so the
answers can be checked against the record alone."""
from .scene import CELLS, COLOURS, ORIENTATIONS, SHAPES

NUMBERS = ["zero", "one", "two", "three", "four", "five"]
PLURALS = {s: s + "s" for s in SHAPES}
CAPTION_TEMPLATES = ["list", "count", "where", "detail"]
QUESTION_TYPES = ["colour", "shape", "count", "total", "position", "orientation", "relation", "presence", "size"]


def a(word_or_words):
    """'a red circle', 'an orange arrow'."""
    return ("an " if word_or_words[0] in "aeiou" else "a ") + word_or_words


def phrase(o, with_size=False):
    return a(" ".join(([o["size"]] if with_size else []) + [o["colour"], o["shape"]]))


def pointing(o):
    return f"pointing {o['orientation']}" if o.get("orientation") else ""


def join_list(items):
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def where_words(cell):
    """'on the left', 'at the top right', 'in the center'."""
    if cell == "center":
        return "in the center"
    if cell in ("left", "right"):
        return "on the " + cell
    return "at the " + cell


def reference(scene, o, without=()):
    """The shortest description naming o alone in the scene ('the arrow', 'the red arrow', 'the
    small red arrow') that does not use the attributes in without (so that a question about an
    object's colour does not name the colour), or None when none singles it out."""
    objs = scene["objects"]
    for keys in (("shape",), ("colour", "shape"), ("size", "shape"), ("size", "colour", "shape")):
        if any(k in without for k in keys):
            continue
        same = [p for p in objs if all(p[k] == o[k] for k in keys)]
        if len(same) == 1:
            return "the " + " ".join(o[k] for k in keys)
    return None


def box_text(o, scene):
    x1, y1, x2, y2 = o["box"]
    w, h = scene["width"], scene["height"]
    return f"[{x1 / w:.3f},{y1 / h:.3f},{x2 / w:.3f},{y2 / h:.3f}]"


def reading_order(objects):
    """Row by row of the grid, left to right."""
    row = {c: r for r, cells in enumerate(CELLS) for c in cells}
    return sorted(objects, key=lambda o: (row[o["cell"]], o["centre"][0]))


def caption(scene, template):
    objs = reading_order(scene["objects"])
    if template == "list":
        return join_list([phrase(o, with_size=True) for o in objs])
    if template == "count":
        counts = {}
        for o in objs:
            counts[o["shape"]] = counts.get(o["shape"], 0) + 1
        parts = [f"{NUMBERS[n]} {PLURALS[s] if n > 1 else s}" for s, n in sorted(counts.items())]
        return join_list(parts)
    if template == "where":
        return join_list([f"{phrase(o)} {where_words(o['cell'])}" for o in objs])
    if template == "detail":
        parts = []
        for o in objs:
            p = phrase(o, with_size=True)
            parts.append(p + (" " + pointing(o) if o.get("orientation") else ""))
        return join_list(parts)
    raise ValueError(template)


def captions(scene):
    return {t: caption(scene, t) for t in CAPTION_TEMPLATES}


def left_of(a, b):
    return a["box"][2] <= b["box"][0]


def above(a, b):
    return a["box"][3] <= b["box"][1]


def questions(scene, rng):
    """A list of {"type", "question", "answer"}: every type that the scene allows, each once."""
    objs = scene["objects"]
    named = [(reference(scene, o), o) for o in objs]
    named = [(r, o) for r, o in named if r]
    out = []

    def add(kind, q, a):
        out.append({"type": kind, "question": q, "answer": a})

    by_shape = [(reference(scene, o, ("colour",)), o) for o in objs]
    by_shape = [(r, o) for r, o in by_shape if r]
    if by_shape:
        r, o = rng.choice(by_shape)
        add("colour", f"What colour is {r}?", o["colour"])
    by_colour = [o for o in objs if sum(p["colour"] == o["colour"] for p in objs) == 1]
    if by_colour:
        o = rng.choice(by_colour)
        add("shape", f"What shape is the {o['colour']} object?", o["shape"])
    s = rng.choice(sorted({o["shape"] for o in objs}) + [rng.choice(SHAPES)])
    add("count", f"How many {PLURALS[s]} are there?", NUMBERS[sum(o["shape"] == s for o in objs)])
    add("total", "How many objects are there?", NUMBERS[len(objs)])
    if named:
        r, o = rng.choice(named)
        add("position", f"Where is {r}?", where_words(o["cell"]))
    oriented = [(r, o) for r, o in named if o.get("orientation")]
    if oriented:
        r, o = rng.choice(oriented)
        add("orientation", f"Which way is {r} pointing?", o["orientation"])
    if len(named) >= 2:
        (ra, oa), (rb, ob) = rng.sample(named, 2)
        if rng.random() < 0.5:
            add("relation", f"Is {ra} left of {rb}?", "yes" if left_of(oa, ob) else "no")
        else:
            add("relation", f"Is {ra} above {rb}?", "yes" if above(oa, ob) else "no")
    colour, shape = rng.choice(sorted(COLOURS)), rng.choice(SHAPES)
    if rng.random() < 0.5 and objs:
        o = rng.choice(objs)
        colour, shape = o["colour"], o["shape"]
    there = any(o["colour"] == colour and o["shape"] == shape for o in objs)
    add("presence", f"Is there {a(colour + ' ' + shape)}?", "yes" if there else "no")
    unsized = [(reference(scene, o, ("size",)), o) for o in objs]
    unsized = [(r, o) for r, o in unsized if r]
    if unsized:
        r, o = rng.choice(unsized)
        add("size", f"Is {r} small or large?", o["size"])
    return out


def grounding(scene, rng):
    """A list of {"type", "question", "answer"} whose answers carry Shikra boxes: every phrase sits
    right after punctuation or a previous box, so Facet's parser takes it whole."""
    objs = scene["objects"]
    out = []
    listed = ", ".join(f"{phrase(o)} {box_text(o, scene)}" for o in reading_order(objs))
    out.append({"type": "all", "question": "Point to every object.", "answer": listed + "."})
    s = rng.choice(sorted({o["shape"] for o in objs}) + [rng.choice(SHAPES)])
    found = [o for o in reading_order(objs) if o["shape"] == s]
    if found:
        answer = ", ".join(f"{phrase(o)} {box_text(o, scene)}" for o in found) + "."
    else:
        answer = f"There is no {s}."
    out.append({"type": "find", "question": f"Find every {s}.", "answer": answer})
    named = [(reference(scene, o), o) for o in objs]
    named = [(r, o) for r, o in named if r]
    if named:
        r, o = rng.choice(named)
        out.append({"type": "locate", "question": f"Where is {r}?", "answer": f"{r} {box_text(o, scene)}."})
    return out


def statement(o, pattern):
    """A CLIP-style statement about one object for an MMVP-VLM pair of the given pattern."""
    if pattern == "orientation":
        return f"{a(o['shape'])} pointing {o['orientation']}"
    if pattern == "colour":
        return a(f"{o['colour']} {o['shape']}")
    if pattern == "position":
        return f"{a(o['shape'])} {where_words(o['cell'])}"
    if pattern == "size":
        return a(f"{o['size']} {o['shape']}")
    raise ValueError(pattern)


def vocabulary():
    """Every word the templates above can write (the tokenizer makes each one token)."""
    words = set("a an the and of is are there what which where how many colour shape object objects small "
                "large or left right above below top bottom center in on at pointing way photo yes no to "
                "every point find".split())
    words.update(NUMBERS, SHAPES, PLURALS.values(), COLOURS)
    for row in CELLS:
        for c in row:
            words.update(c.split())
    for dirs in ORIENTATIONS.values():
        for d in dirs:
            words.update(d.split("-"))
    return sorted(words)
