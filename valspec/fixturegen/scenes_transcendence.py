"""Scenes for self-transcendence: benevolence (food bank, helping a neighbour) and
universalism (beach clean-up, people around a globe, planting trees).

Each scene draws one frame at time ``t`` (seconds) in 216x384 base coordinates, leaving the
top bar, the right icon column and the caption area free of essential detail.
"""

from __future__ import annotations

import math
import random

from valspec.fixturegen.figures import (
    SKINS,
    Style,
    cloud,
    crowd_member,
    house,
    person,
    sky,
    sun,
    tree,
)
from valspec.fixturegen.painter import RGB, WHITE, Painter, darken, lighten


def _grocery_bag(p: Painter, x: float, y: float, w: float) -> None:
    """A paper grocery bag with produce sticking out, bottom centre at (x, y)."""
    p.circle(x - w * 0.2, y - w * 1.05, w * 0.2, (230, 60, 50))
    p.line([(x + w * 0.15, y - w * 0.9), (x + w * 0.3, y - w * 1.5)], (60, 170, 70), w * 0.12)
    p.rect((x - w / 2, y - w * 1.0, x + w / 2, y), (196, 154, 108), radius=w * 0.06)
    p.line([(x - w / 2, y - w * 0.85), (x + w / 2, y - w * 0.85)], (170, 128, 84), 1)


def food_bank(p: Painter, t: float, s: Style) -> None:
    """Volunteers in aprons hand grocery bags across a table at a community food bank."""
    p.rect((0, 0, p.width, 300), (244, 232, 210))
    p.rect((0, 240, p.width, p.height), (190, 160, 120))
    p.label((14, 44, 186, 66), "COMMUNITY FOOD BANK", s.accent)
    # shelves of donated food
    for row, y in enumerate((86, 116)):
        p.rect((8, y + 22, 192, y + 25), (150, 110, 70))
        for i in range(14):
            c = s.shirt(i + row * 3)
            p.rect((12 + i * 13, y + 6, 21 + i * 13, y + 22), c, radius=1)
            p.rect((12 + i * 13, y + 11, 21 + i * 13, y + 15), WHITE)
    apron = (46, 150, 80)
    wave = math.sin(t * 3.0) * 10
    for i, x in enumerate((46 + s.dx / 2, 108 + s.dx / 2)):
        pose = crowd_member(p, s, i, x, 262, 110, arm_l=35 + wave, arm_r=60 - wave, bend_r=30)
        p.rect((x - 11, pose.shoulder_y + 8, x + 11, pose.hip_y + 8), apron, radius=3)
        p.text((x, pose.shoulder_y + 18), "VOLUNTEER", 3.6, WHITE)
    # recipient on the right, facing the table
    person(
        p,
        166,
        262,
        92,
        skin=s.skin(3),
        shirt=s.shirt(4),
        hair=s.hair(2),
        hair_style="long",
        arm_l=40,
        arm_r=15,
        pants=s.pants(3),
    )
    # table with crates
    p.rect((0, 222, 150, 232), (140, 95, 55))
    p.rect((6, 232, 14, 272), (110, 75, 45))
    p.rect((136, 232, 144, 272), (110, 75, 45))
    p.rect((4, 204, 40, 222), (170, 120, 70), radius=2)
    for i in range(4):
        p.circle(10 + i * 8, 204, 5, (220, 50, 45) if i % 2 else (240, 170, 40))
    for i in range(2):
        p.ellipse((124 + i * 12, 208, 136 + i * 12, 221), (210, 160, 90))
    # bags travel along the table to the recipient
    phase = (t / 2.5) % 1.0
    _grocery_bag(p, 62 + phase * 70, 222, 22)
    p.heart(176, 150 - phase * 30, 7, (235, 80, 110))


def helping_neighbour(p: Painter, t: float, s: Style) -> None:
    """A young neighbour carries groceries while walking an older neighbour with a cane home."""
    sky(p, s, 220)
    sun(p, 40, 70, 14, t)
    cloud(p, 150, 80, 60)
    p.rect((0, 200, p.width, 260), (200, 200, 196))
    p.rect((0, 256, p.width, p.height), (120, 170, 90))
    house(p, 120 + s.dx, 200, 80, (236, 200, 150), (170, 70, 60))
    p.text((160 + s.dx, 110), "Nr. 12", 6, (90, 60, 40))
    tree(p, 20, 205, 70)
    walk = math.sin(t * 5.0)
    x = 45 + (t % 4.0) * 8
    old = person(
        p,
        x,
        262,
        92,
        skin=s.skin(0),
        shirt=(150, 120, 170),
        hair_style="grey",
        pants=(110, 100, 90),
        arm_r=25,
        bend_r=-25,
        stride=walk * 0.5,
    )
    # cane
    p.line([old.hand_r, (old.hand_r[0] + 6, 262)], (90, 60, 30), 3)
    p.arc(
        (old.hand_r[0] - 4, old.hand_r[1] - 5, old.hand_r[0] + 4, old.hand_r[1] + 3),
        180,
        360,
        (90, 60, 30),
        2,
    )
    young = person(
        p,
        x + 52,
        262,
        100,
        skin=s.skin(4),
        shirt=s.shirt(1),
        hair=s.hair(0),
        arm_l=45,
        bend_l=-30,
        arm_r=8,
        stride=-walk * 0.5,
    )
    _grocery_bag(p, young.hand_r[0] + 4, young.hand_r[1] + 24, 22)
    p.heart(
        (old.head[0] + young.head[0]) / 2, old.head[1] - 26 + math.sin(t * 4) * 3, 8, (235, 70, 100)
    )


def beach_cleanup(p: Painter, t: float, s: Style) -> None:
    """Volunteers with gloves and bin bags pick plastic litter off a beach."""
    sky(p, s, 150)
    sun(p, 170, 60, 13, t)
    p.vgradient((0, 130, p.width, 190), (40, 140, 200), (80, 190, 220))
    for i in range(4):
        y = 150 + i * 11 + math.sin(t * 2 + i) * 2
        p.arc((-20 + (t * 15 + i * 30) % 60 - 30, y - 4, 260, y + 8), 200, 340, WHITE, 1.5)
    p.rect((0, 188, p.width, p.height), (240, 218, 160))
    p.label((22, 44, 178, 64), "BEACH CLEAN-UP", (30, 120, 190))
    rng = random.Random(s.seed)
    litter = [(rng.uniform(10, 180), rng.uniform(235, 290), rng.randrange(3)) for _ in range(9)]
    for x, y, kind in litter:
        if kind == 0:  # plastic bottle
            p.rect((x, y, x + 12, y + 5), (150, 210, 230), radius=2)
            p.rect((x + 12, y + 1, x + 15, y + 4), (40, 120, 200))
        elif kind == 1:  # can
            p.rect((x, y, x + 6, y + 9), (210, 40, 40), radius=1)
        else:  # bag
            p.polygon([(x, y), (x + 10, y - 3), (x + 12, y + 6), (x + 2, y + 8)], (245, 245, 245))
    bend = (math.sin(t * 3) + 1) / 2
    a = crowd_member(p, s, 0, 60 + s.dx, 250, 96, arm_r=20 + bend * 40, bend_r=10, arm_l=20)
    p.line([a.hand_r, (a.hand_r[0] + 16, a.hand_r[1] + 30)], (90, 90, 90), 2)  # litter picker
    p.rect(
        (a.hand_l[0] - 14, a.hand_l[1], a.hand_l[0] + 2, a.hand_l[1] + 26), (40, 40, 40), radius=4
    )
    b = crowd_member(p, s, 2, 138 + s.dx, 256, 90, arm_l=60 - bend * 40, arm_r=15)
    p.rect(
        (b.hand_r[0] - 4, b.hand_r[1], b.hand_r[0] + 14, b.hand_r[1] + 28), (40, 110, 60), radius=4
    )
    # a bottle rises from the sand into the bag
    lift = (t / 1.5) % 1.0
    bx = a.hand_r[0] + 14
    p.rect((bx, 290 - lift * 40, bx + 12, 295 - lift * 40), (150, 210, 230), radius=2)


def globe_handshake(p: Painter, t: float, s: Style) -> None:
    """Diverse people hold hands around a turning globe; two hands shake in front."""
    p.vgradient((0, 0, p.width, p.height), (30, 40, 90), (90, 60, 140))
    rng = random.Random(s.seed)
    for _ in range(30):
        x, y = rng.uniform(0, p.width), rng.uniform(30, 300)
        p.circle(x, y, rng.uniform(0.5, 1.3), (240, 240, 255))
    cx, cy, r = 100 + s.dx / 2, 122, 54
    p.circle(cx, cy, r, (40, 120, 210))
    spin = t * 0.6
    for i, (lat, lon, w, h) in enumerate(
        (
            (-0.3, 0.0, 0.5, 0.6),
            (0.35, 1.4, 0.45, 0.5),
            (0.1, 2.6, 0.55, 0.45),
            (-0.5, 4.0, 0.4, 0.3),
            (0.45, 5.0, 0.35, 0.4),
        )
    ):
        x = math.sin(lon + spin)
        if math.cos(lon + spin) < -0.1:
            continue
        ex = cx + x * r * 0.8
        ey = cy + lat * r
        p.ellipse(
            (
                ex - w * r * 0.5 * (1 - abs(x) * 0.6),
                ey - h * r * 0.4,
                ex + w * r * 0.5 * (1 - abs(x) * 0.6),
                ey + h * r * 0.4,
            ),
            (70, 170, 80) if i % 2 else (90, 180, 70),
        )
    for k in range(-2, 3):
        p.arc(
            (cx - r, cy - r * abs(math.cos(k * 0.5)), cx + r, cy + r * abs(math.cos(k * 0.5))),
            0,
            360,
            lighten((40, 120, 210), 0.25),
            0.7,
        )
    p.circle(cx, cy, r, outline=(200, 230, 255), width=1.5)
    # ring of people holding hands under the globe
    for i in range(6):
        crowd_member(p, s, i, 14 + i * 34, 236, 58, arm_l=70, arm_r=70)
    p.label((30, 40, 170, 58), "ONE WORLD", (60, 110, 200))
    light, dark = SKINS[0 + s.seed % 2], SKINS[5 - s.seed % 2]
    _handshake(p, 264 + math.sin(t * 8) * 3, light, dark, s.shirt(1), s.shirt(5))


def _handshake(
    p: Painter, y: float, skin_l: RGB, skin_r: RGB, sleeve_l: RGB, sleeve_r: RGB
) -> None:
    """Two forearms from either side meeting in a handshake centred at (108, y)."""

    def at(dx: float, dy: float) -> tuple[float, float]:
        return 108 + dx * 1.35, y + dy * 1.35

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (*at(x0, y0), *at(x1, y1))

    p.polygon([at(-120, -4), at(-38, -12), at(-34, 12), at(-120, 22)], sleeve_l)
    p.polygon([at(120, -4), at(38, -12), at(34, 12), at(120, 22)], sleeve_r)
    p.rect(box(-40, -13, -30, 13), WHITE, radius=2)
    p.rect(box(30, -13, 40, 13), WHITE, radius=2)
    p.rect(box(-32, -11, 14, 11), skin_l, radius=10)  # left palm reaching right
    p.rect(box(-12, -12, 34, 12), skin_r, radius=10)  # right hand on top
    for k in range(4):  # left fingers wrapping over the right hand
        fy = -9 + k * 5.5
        p.rect(box(-4 - k, fy, 18 - k * 2, fy + 4.6), skin_l, darken(skin_l, 0.25), 0.6, radius=3)
    p.polygon([at(-8, -12), at(-22, -18), at(-28, -14), at(-14, -6)], skin_r)  # right thumb


def tree_planting(p: Painter, t: float, s: Style) -> None:
    """Neighbours plant saplings on a hillside; one digs, one waters, the sapling grows."""
    sky(p, s, 200)
    cloud(p, 50, 70, 56)
    sun(p, 165, 72, 12, t)
    p.ellipse((-80, 170, 300, 420), (110, 180, 80))
    for i, x in enumerate((12, 40, 170)):
        tree(p, x, 195 + i * 3, 46 + i * 6, (40 + i * 20, 150, 60))
    p.label((20, 44, 180, 64), "PLANT A TREE DAY", (46, 139, 87))
    dig = (math.sin(t * 4) + 1) / 2
    a = crowd_member(p, s, 1, 58 + s.dx, 270, 96, arm_l=30, arm_r=40 + dig * 25, bend_r=20)
    p.line(
        [(a.hand_r[0], a.hand_r[1] - 18), (a.hand_r[0] + 12, a.hand_r[1] + 34 - dig * 10)],
        (130, 90, 50),
        2.5,
    )
    p.polygon(
        [
            (a.hand_r[0] + 8, a.hand_r[1] + 32 - dig * 10),
            (a.hand_r[0] + 18, a.hand_r[1] + 32 - dig * 10),
            (a.hand_r[0] + 14, a.hand_r[1] + 44 - dig * 10),
        ],
        (150, 150, 160),
    )
    p.ellipse((70, 272, 120, 284), (110, 75, 45))
    b = crowd_member(p, s, 3, 146 + s.dx / 2, 272, 92, arm_l=80, bend_l=10, arm_r=15)
    wx, wy = b.hand_l
    p.rect((wx - 16, wy - 6, wx, wy + 8), (70, 130, 200), radius=2)
    p.line([(wx - 16, wy - 2), (wx - 28, wy - 10)], (70, 130, 200), 2.5)
    for i in range(4):
        d = (t * 1.8 + i / 4) % 1.0
        p.circle(wx - 28 - d * 6, wy - 8 + d * 34, 1.4, (120, 180, 255))
    grow = min(1.0, 0.4 + (t % 4.0) / 5)
    sx = 104
    p.line([(sx, 276), (sx, 276 - 40 * grow)], (100, 70, 40), 2)
    for k in range(3):
        ly = 276 - 40 * grow + k * 9 * grow
        p.ellipse((sx - 12 * grow, ly - 4, sx, ly + 3), (60, 170, 60))
        p.ellipse((sx, ly - 2, sx + 12 * grow, ly + 5), (70, 185, 70))
