"""Reusable figures for scenes (people, trees, clouds, houses, cars) and the per-item style.

A :class:`Style` carries the seeded variation of one fixture item (skin tones, clothes,
sky, layout shift, still-frame time), so one scene function yields many distinct posts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from valspec.fixturegen.painter import RGB, WHITE, Painter, Point, darken, lighten

SKINS: tuple[RGB, ...] = (
    (255, 224, 189),
    (241, 194, 125),
    (224, 172, 105),
    (198, 134, 66),
    (141, 85, 36),
    (96, 60, 32),
)
SHIRTS: tuple[RGB, ...] = (
    (231, 76, 60),
    (52, 152, 219),
    (46, 204, 113),
    (241, 196, 15),
    (155, 89, 182),
    (230, 126, 34),
    (26, 188, 156),
    (236, 112, 160),
)
HAIRS: tuple[RGB, ...] = ((40, 26, 18), (92, 58, 30), (20, 20, 20), (180, 120, 50), (120, 40, 20))
SKIES: tuple[tuple[RGB, RGB], ...] = (
    ((90, 170, 240), (190, 228, 255)),
    ((70, 150, 230), (170, 215, 250)),
    ((120, 180, 240), (255, 214, 170)),
    ((100, 190, 235), (215, 240, 255)),
)
PANTS: tuple[RGB, ...] = ((44, 62, 80), (60, 60, 70), (52, 73, 120), (90, 70, 50))


@dataclass(frozen=True)
class Style:
    """Seeded look of one item: palette order, sky, accent, layout shift and still time."""

    skins: tuple[RGB, ...]
    shirts: tuple[RGB, ...]
    hairs: tuple[RGB, ...]
    sky: tuple[RGB, RGB]
    accent: RGB
    dx: float
    still_t: float
    seed: int

    @classmethod
    def from_rng(cls, rng: random.Random) -> Style:
        """Draw a style from ``rng`` (the only source of variation)."""
        skins, shirts, hairs = list(SKINS), list(SHIRTS), list(HAIRS)
        rng.shuffle(skins)
        rng.shuffle(shirts)
        rng.shuffle(hairs)
        return cls(
            skins=tuple(skins),
            shirts=tuple(shirts),
            hairs=tuple(hairs),
            sky=SKIES[rng.randrange(len(SKIES))],
            accent=shirts[-1],
            dx=rng.uniform(-10.0, 10.0),
            still_t=rng.uniform(0.8, 2.2),
            seed=rng.randrange(1 << 30),
        )

    def skin(self, i: int) -> RGB:
        """The i-th skin tone of this item (cycles)."""
        return self.skins[i % len(self.skins)]

    def shirt(self, i: int) -> RGB:
        """The i-th shirt colour of this item (cycles)."""
        return self.shirts[i % len(self.shirts)]

    def hair(self, i: int) -> RGB:
        """The i-th hair colour of this item (cycles)."""
        return self.hairs[i % len(self.hairs)]

    def pants(self, i: int) -> RGB:
        """The i-th trousers colour (cycles)."""
        return PANTS[(i + self.seed) % len(PANTS)]


@dataclass(frozen=True)
class Pose:
    """Where a drawn person's head and hands ended up, for attaching props."""

    head: Point
    head_r: float
    hand_l: Point
    hand_r: Point
    shoulder_y: float
    hip_y: float


def _limb(start: Point, length: float, angle: float, bend: float, side: int) -> tuple[Point, Point]:
    """Two-segment arm from ``start``; angle from straight down, outward for ``side``."""
    a1 = math.radians(angle)
    elbow = (start[0] + side * math.sin(a1) * length / 2, start[1] + math.cos(a1) * length / 2)
    a2 = math.radians(angle + bend)
    hand = (elbow[0] + side * math.sin(a2) * length / 2, elbow[1] + math.cos(a2) * length / 2)
    return elbow, hand


def person(
    p: Painter,
    x: float,
    feet_y: float,
    h: float,
    *,
    skin: RGB,
    shirt: RGB,
    pants: RGB = (44, 62, 80),
    hair: RGB = (40, 26, 18),
    hair_style: str = "short",
    arm_l: float = 12.0,
    arm_r: float = 12.0,
    bend_l: float = 0.0,
    bend_r: float = 0.0,
    stride: float = 0.0,
    skirt: bool = False,
    seated: bool = False,
    face: bool = True,
) -> Pose:
    """A front-facing person with feet at (x, feet_y), ``h`` tall; arms at given angles.

    Angles are degrees from hanging straight down, positive outward (90 = sideways,
    180 = straight up); ``bend`` turns the forearm further. ``hair_style`` is one of
    short, long, bun, bald, grey (an older person), cap. A ``seated`` person is drawn
    with the same ``h`` but bent knees, so the head sits ``0.18 * h`` lower.
    """
    r = h * 0.1
    base = feet_y + (h * 0.18 if seated else 0.0)
    head = (x, base - h + r)
    shoulder_y = base - h + 2.1 * r
    hip_y = base - h * 0.45
    bw = h * 0.28
    limb_w = max(1.5, h * 0.07)
    # legs
    for side in (-1, 1):
        hip = (x + side * bw * 0.25, hip_y)
        foot = (x + side * bw * 0.3 + side * stride * h * 0.12, feet_y - limb_w / 2)
        if seated:
            knee = (x + side * bw * 0.4, hip_y + h * 0.03)
            foot = (knee[0], feet_y - limb_w / 2)
            p.line([hip, knee, foot], pants, limb_w * 1.2)
        else:
            p.line([hip, foot], pants, limb_w * 1.2)
        p.ellipse(
            (foot[0] - limb_w, foot[1] - limb_w * 0.5, foot[0] + limb_w, foot[1] + limb_w * 0.6),
            (30, 30, 30),
        )
    if skirt:
        p.polygon(
            [
                (x - bw * 0.45, hip_y - h * 0.05),
                (x + bw * 0.45, hip_y - h * 0.05),
                (x + bw * 0.75, hip_y + h * 0.22),
                (x - bw * 0.75, hip_y + h * 0.22),
            ],
            shirt,
        )
    # long hair sits behind the head and shoulders
    if hair_style == "long":
        p.rect(
            (head[0] - r * 1.15, head[1] - r * 0.6, head[0] + r * 1.15, head[1] + r * 1.9),
            hair,
            radius=r,
        )
    # body
    p.rect((x - bw / 2, shoulder_y, x + bw / 2, hip_y + h * 0.03), shirt, radius=bw * 0.3)
    # arms
    hands: list[Point] = []
    for side, angle, bend in ((-1, arm_l, bend_l), (1, arm_r, bend_r)):
        shoulder = (x + side * bw * 0.42, shoulder_y + limb_w * 0.6)
        elbow, hand = _limb(shoulder, h * 0.4, angle, bend, side)
        p.line([shoulder, elbow, hand], shirt, limb_w)
        p.circle(hand[0], hand[1], limb_w * 0.75, skin)
        hands.append(hand)
    # neck and head
    p.rect((x - r * 0.35, head[1] + r * 0.6, x + r * 0.35, shoulder_y + 1), skin)
    p.circle(head[0], head[1], r, skin)
    hx, hy = head
    if hair_style in ("short", "long"):
        p.chord((hx - r * 1.05, hy - r * 1.15, hx + r * 1.05, hy + r * 0.7), 180, 360, hair)
    elif hair_style == "bun":
        p.chord((hx - r * 1.05, hy - r * 1.1, hx + r * 1.05, hy + r * 0.6), 180, 360, hair)
        p.circle(hx, hy - r * 1.1, r * 0.5, hair)
    elif hair_style == "grey":
        grey = (205, 205, 210)
        p.chord((hx - r * 1.05, hy - r * 1.1, hx + r * 1.05, hy + r * 0.5), 180, 360, grey)
        p.circle(hx - r * 0.9, hy + r * 0.05, r * 0.35, grey)
        p.circle(hx + r * 0.9, hy + r * 0.05, r * 0.35, grey)
    elif hair_style == "cap":
        p.chord((hx - r * 1.05, hy - r * 1.2, hx + r * 1.05, hy + r * 0.4), 180, 360, hair)
        p.rect((hx, hy - r * 0.45, hx + r * 1.6, hy - r * 0.2), hair, radius=r * 0.1)
    if face and r >= 3:
        eye = max(0.6, r * 0.14)
        p.circle(hx - r * 0.35, hy - r * 0.05, eye, (30, 30, 30))
        p.circle(hx + r * 0.35, hy - r * 0.05, eye, (30, 30, 30))
        p.arc(
            (hx - r * 0.4, hy - r * 0.1, hx + r * 0.4, hy + r * 0.5),
            20,
            160,
            (120, 40, 40),
            max(0.5, r * 0.1),
        )
    return Pose(head, r, hands[0], hands[1], shoulder_y, hip_y)


def crowd_member(
    p: Painter, style: Style, i: int, x: float, feet_y: float, h: float, **kw: object
) -> Pose:
    """``person`` dressed from the style's i-th palette entries (varied, diverse people)."""
    styles = ("short", "long", "bun", "short", "cap", "long")
    args: dict[str, object] = {
        "skin": style.skin(i),
        "shirt": style.shirt(i),
        "hair": style.hair(i),
        "pants": style.pants(i),
        "hair_style": styles[(i + style.seed) % len(styles)],
    }
    args.update(kw)
    return person(p, x, feet_y, h, **args)  # type: ignore[arg-type]


def sky(p: Painter, style: Style, bottom: float) -> None:
    """Fill from the top of the frame to ``bottom`` with the style's sky gradient."""
    p.vgradient((0, 0, p.width, bottom), style.sky[0], style.sky[1])


def cloud(p: Painter, x: float, y: float, w: float, color: RGB = WHITE) -> None:
    """A puffy cloud about ``w`` wide centred on (x, y)."""
    p.ellipse((x - w / 2, y - w * 0.12, x + w / 2, y + w * 0.18), color)
    p.circle(x - w * 0.18, y - w * 0.08, w * 0.2, color)
    p.circle(x + w * 0.12, y - w * 0.14, w * 0.24, color)


def sun(p: Painter, x: float, y: float, r: float, t: float = 0.0) -> None:
    """A sun with slowly turning rays."""
    for i in range(10):
        a = math.radians(i * 36 + t * 20)
        p.line(
            [
                (x + math.cos(a) * r * 1.25, y + math.sin(a) * r * 1.25),
                (x + math.cos(a) * r * 1.6, y + math.sin(a) * r * 1.6),
            ],
            (255, 200, 40),
            max(1.0, r * 0.15),
        )
    p.circle(x, y, r, (255, 214, 60))


def tree(p: Painter, x: float, ground: float, h: float, leaves: RGB = (46, 160, 67)) -> None:
    """A round-crowned tree standing on ``ground``."""
    p.rect((x - h * 0.06, ground - h * 0.5, x + h * 0.06, ground), (120, 80, 45))
    p.circle(x, ground - h * 0.62, h * 0.32, leaves)
    p.circle(x - h * 0.18, ground - h * 0.5, h * 0.2, darken(leaves, 0.1))
    p.circle(x + h * 0.2, ground - h * 0.52, h * 0.2, lighten(leaves, 0.1))


def palm(p: Painter, x: float, ground: float, h: float, sway: float = 0.0) -> None:
    """A palm tree; ``sway`` in -1..1 bends the crown."""
    top = (x + h * 0.15 + sway * h * 0.05, ground - h)
    p.line([(x, ground), (x + h * 0.08, ground - h * 0.5), top], (140, 95, 50), h * 0.06)
    for ang in (-150, -120, -60, -30, 10, 170):
        a = math.radians(ang + sway * 8)
        tip = (top[0] + math.cos(a) * h * 0.4, top[1] + math.sin(a) * h * 0.25 + h * 0.1)
        p.line([top, tip], (34, 139, 34), h * 0.05)


def house(p: Painter, x0: float, ground: float, w: float, wall: RGB, roof: RGB) -> None:
    """A simple house with a pitched roof, door and window, ``w`` wide."""
    h = w * 0.7
    p.rect((x0, ground - h, x0 + w, ground), wall)
    p.polygon(
        [
            (x0 - w * 0.08, ground - h),
            (x0 + w / 2, ground - h - w * 0.45),
            (x0 + w * 1.08, ground - h),
        ],
        roof,
    )
    p.rect((x0 + w * 0.4, ground - h * 0.55, x0 + w * 0.6, ground), darken(wall, 0.45))
    p.rect(
        (x0 + w * 0.1, ground - h * 0.75, x0 + w * 0.3, ground - h * 0.5),
        (200, 230, 255),
        (255, 255, 255),
        1,
    )
    p.rect(
        (x0 + w * 0.7, ground - h * 0.75, x0 + w * 0.9, ground - h * 0.5),
        (200, 230, 255),
        (255, 255, 255),
        1,
    )


def skyline(p: Painter, ground: float, color: RGB, seed: int, lit: RGB | None = None) -> None:
    """A row of office towers along ``ground``, with window lights if ``lit`` is given."""
    rng = random.Random(seed)
    x = -4.0
    while x < p.width:
        w = rng.uniform(18, 34)
        h = rng.uniform(60, 160)
        p.rect((x, ground - h, x + w - 2, ground), color)
        if lit is not None:
            for wy in range(int(ground - h + 6), int(ground - 4), 9):
                for wx in range(int(x + 3), int(x + w - 6), 6):
                    if rng.random() < 0.55:
                        p.rect((wx, wy, wx + 3, wy + 4), lit)
        x += w


def car(p: Painter, x: float, ground: float, w: float, body: RGB, sporty: bool = False) -> None:
    """A side view of a car ``w`` long; ``sporty`` gives a low coupe with a spoiler."""
    h = w * (0.22 if sporty else 0.3)
    wheel = w * 0.1
    if sporty:
        p.polygon(
            [
                (x, ground - wheel),
                (x + w * 0.05, ground - h),
                (x + w * 0.35, ground - h * 1.05),
                (x + w * 0.55, ground - h * 1.65),
                (x + w * 0.78, ground - h * 1.55),
                (x + w, ground - h * 0.9),
                (x + w, ground - wheel),
            ],
            body,
        )
        p.polygon(
            [
                (x + w * 0.42, ground - h * 1.1),
                (x + w * 0.56, ground - h * 1.55),
                (x + w * 0.75, ground - h * 1.47),
                (x + w * 0.86, ground - h * 1.1),
            ],
            (40, 50, 70),
        )
        p.rect((x - w * 0.02, ground - h * 1.25, x + w * 0.1, ground - h * 1.15), darken(body, 0.4))
    else:
        p.rect((x, ground - h, x + w, ground - wheel), body, radius=w * 0.05)
        p.rect(
            (x + w * 0.2, ground - h * 1.7, x + w * 0.75, ground - h * 0.9), body, radius=w * 0.06
        )
        p.rect((x + w * 0.26, ground - h * 1.6, x + w * 0.69, ground - h), (190, 220, 240))
    p.line(
        [(x + w * 0.05, ground - h * 0.55), (x + w * 0.95, ground - h * 0.55)],
        lighten(body, 0.5),
        max(1.0, w * 0.01),
    )
    for wx in (x + w * 0.2, x + w * 0.8):
        p.circle(wx, ground - wheel, wheel, (25, 25, 25))
        p.circle(wx, ground - wheel, wheel * 0.5, (200, 200, 210))
