"""Scenes of the shapes world: sampling a scene record and drawing it.

A scene is a plain dict (it is written as JSON):
  {"width": W, "height": H, "background": [r, g, b],
   "objects": [{"shape", "colour", "rgb", "size", "centre": [x, y], "box": [x1, y1, x2, y2],
                "cell", "orientation"}, ...]}
Boxes are in continuous pixel coordinates (pixel i covers [i, i + 1)): x1 is the first column
with a drawn pixel of the object, x2 one past the last, so x1 < x2 and y1 < y2 always. Objects
sit in distinct cells of a 3 x 3 grid and never touch (at least GAP free pixels between boxes),
so a box can be recovered from the image alone.

Drawing uses PIL's aliased rasterizer only (no antialiasing, no resampling), and every random
choice comes from a random.Random seeded with a string, so a seed gives the same pixels."""
import math
import random

from PIL import Image, ImageDraw

SHAPES = ["circle", "square", "star", "triangle", "arrow", "semicircle", "crescent"]
# The direction names a shape can point in; shapes missing here look the same every way up.
ORIENTATIONS = {
    "arrow": ["up", "up-right", "right", "down-right", "down", "down-left", "left", "up-left"],
    "triangle": ["up", "right", "down", "left"],
    "semicircle": ["up", "right", "down", "left"],
    "crescent": ["up", "right", "down", "left"],
}
DIRECTIONS = {  # unit vector in image coordinates (y grows downwards)
    "up": (0.0, -1.0), "down": (0.0, 1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0),
    "up-right": (math.sqrt(0.5), -math.sqrt(0.5)), "down-right": (math.sqrt(0.5), math.sqrt(0.5)),
    "down-left": (-math.sqrt(0.5), math.sqrt(0.5)), "up-left": (-math.sqrt(0.5), -math.sqrt(0.5)),
}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left", "up-right": "down-left",
            "down-left": "up-right", "down-right": "up-left", "up-left": "down-right"}
COLOURS = {
    "red": (220, 30, 30), "green": (30, 160, 50), "blue": (30, 70, 225), "yellow": (240, 200, 20),
    "orange": (250, 130, 10), "purple": (135, 45, 190), "pink": (250, 120, 200), "black": (20, 20, 20),
}
BACKGROUND = (255, 255, 255)
SIZES = {"small": 0.09, "large": 0.155}  # radius as a fraction of the image side
# Grid cells by (row, column); the name is the object's position word.
CELLS = [["top left", "top", "top right"], ["left", "center", "right"], ["bottom left", "bottom", "bottom right"]]
GAP = 2  # free pixels between the boxes of two objects
JITTER = 0.035  # centre jitter inside a cell, fraction of the side
REACH = 1.12  # the farthest drawn point of any shape, in radii from its centre (triangle corners)


def cell_of(centre, width, height):
    """The grid cell name of a point."""
    col = min(2, int(centre[0] * 3 // width))
    row = min(2, int(centre[1] * 3 // height))
    return CELLS[row][col]


def cell_centre(name, width, height):
    for r, row in enumerate(CELLS):
        if name in row:
            c = row.index(name)
            return ((c + 0.5) * width / 3, (r + 0.5) * height / 3)
    raise KeyError(name)


def _rotate(points, direction, cx, cy):
    """Points given for a shape pointing up (y negative = forward) turned to face direction."""
    dx, dy = DIRECTIONS[direction]
    # Forward unit (dx, dy); the shape's local "up" is (0, -1), its local "right" is (1, 0).
    # local (u, v) -> u * right_dir + (-v) * forward, where right_dir = (-dy, dx).
    out = []
    for u, v in points:
        out.append((cx + u * -dy + (-v) * dx, cy + u * dx + (-v) * dy))
    return out


def _shape_mask(obj, width, height):
    """An L image with 255 where the object is drawn."""
    mask = Image.new("L", (width, height), 0)
    d = ImageDraw.Draw(mask)
    cx, cy = obj["centre"]
    r = SIZES[obj["size"]] * min(width, height)
    shape = obj["shape"]
    way = obj.get("orientation") or "up"
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif shape == "square":
        h = r * 0.85
        d.rectangle([cx - h, cy - h, cx + h, cy + h], fill=255)
    elif shape == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rad = r if k % 2 == 0 else r * 0.45
            pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
        d.polygon(pts, fill=255)
    elif shape == "triangle":
        d.polygon(_rotate([(0, -r), (0.85 * r, 0.7 * r), (-0.85 * r, 0.7 * r)], way, cx, cy), fill=255)
    elif shape == "arrow":
        s, hw, hl = 0.2 * r, 0.62 * r, 0.05 * r  # shaft half-width, head half-width, where the head starts
        pts = [(0, -r), (hw, -hl), (s, -hl), (s, r), (-s, r), (-s, -hl), (-hw, -hl)]
        d.polygon(_rotate(pts, way, cx, cy), fill=255)
    elif shape == "semicircle":
        # The round side faces the direction; the flat side is behind the centre.
        pts = [(r * math.cos(math.pi * k / 16), 0.35 * r - r * math.sin(math.pi * k / 16)) for k in range(17)]
        d.polygon(_rotate(pts, way, cx, cy), fill=255)
    elif shape == "crescent":
        # A disc with a bite taken from the side it faces: its horns point that way.
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        dx, dy = DIRECTIONS[way]
        bx, by, br = cx + dx * 0.5 * r, cy + dy * 0.5 * r, 0.78 * r
        d.ellipse([bx - br, by - br, bx + br, by + br], fill=0)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return mask


def _boxes_apart(a, b):
    return a[2] + GAP <= b[0] or b[2] + GAP <= a[0] or a[3] + GAP <= b[1] or b[3] + GAP <= a[1]


def place(objects, width, height):
    """Fills each object's box from its drawn mask; False when two objects come too close."""
    for o in objects:
        box = _shape_mask(o, width, height).getbbox()
        if box is None:
            return False
        o["box"] = list(box)
    for i, a in enumerate(objects):
        if a["box"][0] < 0 or a["box"][1] < 0 or a["box"][2] > width or a["box"][3] > height:
            return False
        for b in objects[:i]:
            if not _boxes_apart(a["box"], b["box"]):
                return False
    return True


def make_object(rng, shape, colour, size, cell, width, height, orientation=None):
    ccx, ccy = cell_centre(cell, width, height)
    j = JITTER * min(width, height)
    # Centres on a half-pixel grid keep the records short and exact.
    # Every shape lies within REACH * r of its centre: keep it whole inside the image.
    m = REACH * SIZES[size] * min(width, height) + 1
    cx = round(min(max(ccx + rng.uniform(-j, j), m), width - m) * 2) / 2
    cy = round(min(max(ccy + rng.uniform(-j, j), m), height - m) * 2) / 2
    if shape in ORIENTATIONS and orientation is None:
        orientation = rng.choice(ORIENTATIONS[shape])
    return {"shape": shape, "colour": colour, "rgb": list(COLOURS[colour]), "size": size, "centre": [cx, cy],
            "box": None, "cell": cell, "orientation": orientation if shape in ORIENTATIONS else None}


def random_object(rng, cell, width, height, shapes=None, forbid=()):
    """forbid: (colour, shape) pairs never drawn (held out of the training split)."""
    while True:
        shape, colour = rng.choice(shapes or SHAPES), rng.choice(sorted(COLOURS))
        if (colour, shape) not in forbid:
            return make_object(rng, shape, colour, rng.choice(["small", "large"]), cell, width, height)


def sample_scene(rng, width, height, n_objects=None, tries=200, forbid=()):
    """A scene of 1-4 objects in distinct cells. Duplicated shapes are made likely (counting)."""
    for _ in range(tries):
        n = n_objects or rng.choice([1, 1, 2, 2, 3, 3, 4])
        cells = rng.sample([c for row in CELLS for c in row], n)
        objects = []
        for cell in cells:
            shapes = None
            if objects and rng.random() < 0.3:
                shapes = [rng.choice(objects)["shape"]]  # another of a shape already there
            objects.append(random_object(rng, cell, width, height, shapes, forbid))
        scene = {"width": width, "height": height, "background": list(BACKGROUND), "objects": objects}
        if place(objects, width, height):
            return scene
    raise RuntimeError("could not place the objects; the image is too small")


def draw(scene):
    """The RGB image of a scene record (its boxes must be filled in)."""
    w, h = scene["width"], scene["height"]
    im = Image.new("RGB", (w, h), tuple(scene["background"]))
    for o in scene["objects"]:
        im.paste(tuple(o["rgb"]), (0, 0), _shape_mask(o, w, h))
    return im


def scene_rng(seed, *parts):
    """The random stream of one item: a string seed hashes the same way in every Python run."""
    return random.Random(":".join(str(p) for p in (seed,) + parts))
