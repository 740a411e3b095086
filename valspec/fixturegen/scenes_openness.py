"""Scenes for openness to change: self-direction (a solo trip planned alone, making something
of one's own), stimulation (skydiving, surfing a big wave, a roller coaster) and hedonism
(a dessert feast, a beach holiday, a concert).

Each scene draws one frame at time ``t`` (seconds) in 216x384 base coordinates.
"""

from __future__ import annotations

import math
import random

from valspec.fixturegen.figures import (
    Style,
    cloud,
    crowd_member,
    palm,
    person,
    sky,
    sun,
    tree,
)
from valspec.fixturegen.painter import RGB, WHITE, Painter, darken, lighten


def solo_trip(p: Painter, t: float, s: Style) -> None:
    """A lone traveller with a big backpack checks a paper map at a mountain trail sign."""
    sky(p, s, 230)
    cloud(p, 60 + t * 6, 70, 50)
    p.polygon([(-20, 220), (50, 110), (110, 220)], (120, 130, 160))
    p.polygon([(40, 220), (130, 90), (230, 220)], (100, 110, 145))
    p.polygon([(112, 116), (130, 90), (148, 116), (138, 110), (130, 118), (122, 110)], WHITE)
    p.rect((0, 215, p.width, p.height), (130, 180, 90))
    p.polygon([(70, p.height), (100, 215), (112, 215), (160, p.height)], (200, 175, 130))
    tree(p, 190, 222, 60, (40, 120, 60))
    # signpost
    p.rect((22, 160, 26, 262), (120, 85, 50))
    p.polygon([(8, 166), (58, 166), (66, 174), (58, 182), (8, 182)], (160, 110, 60))
    p.text((34, 174), "SUMMIT 5 KM", 5, WHITE)
    bob = math.sin(t * 4) * 1.5
    x = 100 + s.dx / 2
    # backpack behind the traveller
    p.rect((x - 26, 168 + bob, x + 26, 226 + bob), (200, 90, 40), radius=7)
    p.rect((x - 28, 160 + bob, x + 28, 171 + bob), (60, 90, 150), radius=5)
    p.rect((x - 30, 196 + bob, x - 20, 220 + bob), (170, 70, 30), radius=3)
    p.rect((x + 20, 196 + bob, x + 30, 220 + bob), (170, 70, 30), radius=3)
    pose = person(
        p,
        x,
        268,
        100,
        skin=s.skin(1),
        shirt=s.shirt(2),
        hair=s.hair(1),
        hair_style="cap",
        arm_l=30,
        bend_l=70,
        arm_r=30,
        bend_r=70,
        pants=s.pants(0),
    )
    for side in (-1, 1):
        p.line([(x + side * 9, pose.shoulder_y), (x + side * 9, pose.hip_y - 4)], (60, 60, 70), 2.5)
    # unfolded map held in both hands, the route drawing itself
    mx0, my0 = pose.hand_l[0] - 14, pose.hand_l[1] - 10
    mx1, my1 = pose.hand_r[0] + 14, pose.hand_l[1] + 22
    p.rect((mx0, my0, mx1, my1), (245, 235, 200), (150, 130, 90), 1)
    for k in (1, 2):
        fx = mx0 + (mx1 - mx0) * k / 3
        p.line([(fx, my0), (fx, my1)], (210, 195, 150), 1)
    p.ellipse((mx0 + 6, my0 + 4, mx0 + 22, my0 + 14), (120, 190, 230))
    p.ellipse((mx1 - 22, my1 - 14, mx1 - 4, my1 - 4), (150, 200, 120))
    progress = min(1.0, 0.3 + (t % 4.0) / 3)
    steps = 10
    prev = (mx0 + 4, my1 - 6)
    for i in range(1, int(steps * progress) + 1):
        q = (mx0 + 4 + (mx1 - mx0 - 8) * i / steps, my1 - 6 - (my1 - my0 - 12) * (i / steps) ** 1.3)
        if i % 2:
            p.line([prev, q], (220, 40, 40), 1.2)
        prev = q
    p.circle(prev[0], prev[1] - 2, 2.5, (220, 40, 40))


def diy_maker(p: Painter, t: float, s: Style) -> None:
    """A maker paints their own canvas in a home studio next to a robot they built themselves."""
    p.rect((0, 0, p.width, p.height), (235, 225, 205))
    p.rect((0, 250, p.width, p.height), (170, 130, 90))
    p.rect((120, 40, 196, 110), (170, 215, 245), (250, 250, 250), 3)
    p.line([(158, 40), (158, 110)], WHITE, 2)
    # pegboard with tools
    p.rect((8, 44, 100, 100), (210, 180, 140))
    p.line([(18, 52), (18, 86)], (120, 80, 40), 3)
    p.rect((12, 50, 26, 56), (90, 90, 100))
    p.line([(40, 52), (40, 90)], (200, 40, 40), 3)
    p.polygon([(56, 52), (92, 52), (92, 60), (60, 66)], (170, 170, 180))
    # easel with a canvas that fills in as the artist paints
    p.line([(40, 258), (64, 130), (88, 258)], (140, 95, 55), 3)
    p.rect((28, 126, 104, 196), WHITE, (120, 90, 60), 2)
    progress = min(1.0, 0.35 + (t % 4.0) / 3.2)
    p.vgradient((30, 128, 102, 128 + 66 * progress), (250, 150, 80), (250, 210, 120))
    if progress > 0.6:
        p.circle(66, 160, 9, (255, 240, 120))
    if progress > 0.85:
        p.polygon([(30, 194), (58, 168), (80, 186), (102, 172), (102, 194)], (60, 120, 90))
    stroke = math.sin(t * 5) * 12
    artist = crowd_member(p, s, 2, 134 + s.dx / 3, 270, 100, arm_l=75 + stroke, bend_l=25, arm_r=20)
    p.line([artist.hand_l, (artist.hand_l[0] - 10, artist.hand_l[1] - 8)], (80, 60, 40), 2)
    p.circle(artist.hand_l[0] - 11, artist.hand_l[1] - 9, 2, (230, 80, 60))
    # palette in the other hand
    p.ellipse(
        (artist.hand_r[0] - 6, artist.hand_r[1] - 4, artist.hand_r[0] + 18, artist.hand_r[1] + 8),
        (220, 190, 140),
    )
    for i, c in enumerate(((230, 60, 60), (60, 120, 230), (250, 210, 40))):
        p.circle(artist.hand_r[0] + i * 5, artist.hand_r[1] + 1, 1.8, c)
    # workbench with a home-made robot
    p.rect((150, 226, 214, 232), (120, 80, 45))
    p.rect((156, 232, 160, 262), (100, 70, 40))
    p.rect((204, 232, 208, 262), (100, 70, 40))
    blink = (t * 2) % 1.0 < 0.5
    p.rect((170, 198, 196, 226), (150, 160, 175), radius=3)
    p.rect((174, 182, 192, 198), (170, 180, 195), radius=3)
    p.circle(179, 189, 2, (60, 220, 255) if blink else (30, 90, 120))
    p.circle(187, 189, 2, (60, 220, 255) if blink else (30, 90, 120))
    p.line([(183, 182), (183, 174)], (90, 90, 90), 1)
    p.circle(183, 173, 2, (230, 60, 60))


def skydiving(p: Painter, t: float, s: Style) -> None:
    """A skydiver under a striped canopy descends over fields; another falls free above."""
    p.vgradient((0, 0, p.width, p.height), (60, 140, 235), (180, 220, 250))
    for i, (x, y, w) in enumerate(((40, 90, 60), (160, 170, 70), (70, 250, 80), (170, 40, 50))):
        cloud(p, x, (y - t * 30 * (1 + i % 2)) % 330 + 20, w)
    # fields far below
    p.ellipse((-60, 300, 280, 480), (110, 170, 90))
    for i in range(5):
        p.ellipse(
            (i * 50 - 20, 312 + (i % 2) * 8, i * 50 + 30, 330 + (i % 2) * 8),
            (140, 190, 100) if i % 2 else (200, 180, 90),
        )
    # plane
    px = 30 + t * 25
    p.rect((px, 44, px + 40, 52), (235, 235, 240), radius=4)
    p.polygon([(px + 14, 48), (px + 26, 48), (px + 18, 62)], (200, 200, 210))
    p.polygon([(px, 44), (px + 6, 36), (px + 9, 44)], (200, 60, 60))
    # free-faller in an X pose
    fx, fy = 150 + math.sin(t) * 6, 80 + t * 18
    person(
        p,
        fx,
        fy + 34,
        36,
        skin=s.skin(2),
        shirt=(250, 140, 0),
        arm_l=130,
        arm_r=130,
        stride=1.6,
        face=False,
    )
    # canopy pilot descending
    cx, cy = 92 + s.dx + math.sin(t * 1.5) * 8, 120 + t * 22
    colours: list[RGB] = [
        (230, 50, 60),
        (250, 200, 40),
        (40, 120, 220),
        (250, 250, 250),
        (230, 50, 60),
    ]
    for i, c in enumerate(colours):
        p.pieslice((cx - 50, cy - 32, cx + 50, cy + 32), 180 + i * 36, 180 + (i + 1) * 36, c)
    p.rect((cx - 50, cy - 2, cx + 50, cy + 2), (210, 230, 250))
    for dx in (-46, -20, 20, 46):
        p.line([(cx + dx, cy), (cx, cy + 50)], (80, 80, 80), 0.7)
    person(
        p,
        cx,
        cy + 96,
        54,
        skin=s.skin(0),
        shirt=s.shirt(0),
        hair_style="cap",
        hair=(30, 30, 30),
        arm_l=150,
        arm_r=150,
        stride=0.3 * math.sin(t * 3),
    )


def surfing(p: Painter, t: float, s: Style) -> None:
    """A surfer carves along the face of a huge curling wave, spray flying."""
    sky(p, s, 140)
    sun(p, 40, 50, 12, t)
    p.rect((0, 110, p.width, p.height), (20, 90, 150))
    # the wave: a tall face curling over on the right
    crest = 70
    p.polygon(
        [
            (-10, 300),
            (-10, 190),
            (40, 150),
            (100, crest + 40),
            (150, crest),
            (190, crest + 10),
            (214, crest + 40),
            (200, 150),
            (230, 300),
        ],
        (30, 130, 190),
    )
    p.ellipse((150, crest - 6, 214, crest + 44), (230, 245, 255))
    p.ellipse((162, crest + 8, 206, crest + 60), (20, 80, 140))
    p.polygon(
        [(100, crest + 40), (150, crest - 2), (160, crest + 10), (110, crest + 50)], (200, 235, 250)
    )
    for i in range(6):
        y = 150 + i * 26
        p.arc((-20, y, 240, y + 40), 200, 330, lighten((30, 130, 190), 0.25), 1)
    # surfer moving along the face
    ride = (t / 3.0) % 1.0
    sx = 150 - ride * 70
    sy = 200 - math.sin(ride * math.pi) * 30 + math.sin(t * 6) * 2
    p.polygon(
        [(sx - 30, sy + 8), (sx + 26, sy - 2), (sx + 32, sy + 2), (sx - 26, sy + 13)],
        (250, 200, 60),
    )
    person(
        p,
        sx,
        sy + 4,
        58,
        skin=s.skin(3),
        shirt=(20, 20, 30),
        pants=(20, 20, 30),
        hair=s.hair(3),
        arm_l=95,
        arm_r=80,
        bend_r=-20,
        stride=1.2,
    )
    rng = random.Random(s.seed)
    for _ in range(16):
        a = rng.uniform(0, math.pi)
        d = rng.uniform(8, 26) * (0.5 + ((t * 3 + a) % 1.0))
        p.circle(sx + 26 + math.cos(a) * d, sy + 4 - math.sin(a) * d, rng.uniform(1, 2.2), WHITE)
    p.rect((0, 268, p.width, p.height), (230, 245, 255))
    p.rect((0, 278, p.width, p.height), (40, 140, 190))


def roller_coaster(p: Painter, t: float, s: Style) -> None:
    """Riders with arms up race through a roller-coaster loop in a theme park."""
    sky(p, s, 300)
    cloud(p, 160, 60, 50)
    # Ferris wheel behind
    wx, wy, wr = 160, 140, 46
    p.circle(wx, wy, wr, outline=(200, 80, 120), width=2.5)
    for i in range(8):
        a = math.radians(i * 45 + t * 20)
        p.line([(wx, wy), (wx + math.cos(a) * wr, wy + math.sin(a) * wr)], (200, 80, 120), 1)
        p.rect(
            (
                wx + math.cos(a) * wr - 5,
                wy + math.sin(a) * wr,
                wx + math.cos(a) * wr + 5,
                wy + math.sin(a) * wr + 8,
            ),
            s.shirt(i),
        )
    p.line([(wx, wy), (wx - 26, 260)], (150, 60, 90), 3)
    p.line([(wx, wy), (wx + 26, 260)], (150, 60, 90), 3)
    p.rect((0, 258, p.width, p.height), (110, 170, 90))

    def track(u: float) -> tuple[float, float]:
        """Point on the track: a drop, a loop and a climb, for u in [0, 1]."""
        x = -10 + u * 240
        y = (
            230
            - 140 * math.exp(-(((u - 0.15) / 0.1) ** 2))
            - 60 * math.exp(-(((u - 0.7) / 0.12) ** 2))
        )
        return x, y

    pts = [track(i / 80) for i in range(81)]
    for x, y in pts[::6]:
        p.line([(x, y), (x, 260)], (120, 120, 130), 1.5)
    p.line(pts, (230, 60, 50), 4)
    p.line([(x, y + 3) for x, y in pts], (150, 30, 30), 1.2)
    # cars with riders, arms in the air
    u0 = 0.18 + ((t / 3.5) % 1.0) * 0.6
    for k in range(3):
        u = u0 - k * 0.05
        x, y = track(u)
        x2, y2 = track(u + 0.01)
        slope = math.atan2(y2 - y, x2 - x)
        person(
            p, x, y - 6, 34, skin=s.skin(k), shirt=s.shirt(k), hair=s.hair(k), arm_l=165, arm_r=165
        )
        cx, cy, r = x, y - 4, 9
        c, sn = math.cos(slope), math.sin(slope)
        corners = [(-r, -r * 0.6), (r, -r * 0.6), (r, r * 0.4), (-r, r * 0.4)]
        p.polygon([(cx + a * c - b * sn, cy + a * sn + b * c) for a, b in corners], (250, 200, 40))


def _cupcake(p: Painter, x: float, y: float, frosting: RGB) -> None:
    p.polygon([(x - 10, y - 14), (x + 10, y - 14), (x + 7, y), (x - 7, y)], (200, 140, 90))
    p.ellipse((x - 12, y - 26, x + 12, y - 10), frosting)
    p.circle(x, y - 27, 3, (220, 30, 50))


def dessert_feast(p: Painter, t: float, s: Style) -> None:
    """A table piled with cake, doughnuts, a sundae and cupcakes; candles flicker."""
    p.vgradient((0, 0, p.width, 220), (255, 214, 230), (255, 236, 240))
    p.rect((0, 205, p.width, p.height), (255, 245, 230))
    p.label((30, 44, 170, 64), "DESSERT TABLE", (230, 90, 140))
    p.ellipse((10, 220, 150, 240), (230, 230, 235))
    # layer cake with candles
    p.rect((30, 160, 130, 230), (250, 235, 215), radius=6)
    p.rect((30, 178, 130, 186), (236, 112, 160))
    p.rect((30, 204, 130, 212), (236, 112, 160))
    for i in range(6):
        p.ellipse((32 + i * 16, 154, 46 + i * 16, 170), (250, 250, 250))
    for i, x in enumerate((52, 80, 108)):
        p.rect((x - 2, 136, x + 2, 158), (120, 180, 240) if i % 2 else (250, 200, 60))
        flick = math.sin(t * 12 + i * 2) * 1.5
        p.ellipse((x - 3 - flick / 2, 124, x + 3 + flick / 2, 137), (255, 170, 40))
        p.ellipse((x - 1.5, 129, x + 1.5, 136), (255, 240, 150))
    # sundae in a glass
    sx, sy = 170, 232
    p.polygon(
        [(sx - 20, sy - 44), (sx + 20, sy - 44), (sx + 6, sy - 12), (sx - 6, sy - 12)],
        (220, 235, 245),
    )
    p.rect((sx - 3, sy - 12, sx + 3, sy - 2), (220, 235, 245))
    p.ellipse((sx - 16, sy - 4, sx + 16, sy + 2), (220, 235, 245))
    for i, c in enumerate(((250, 240, 220), (240, 170, 190), (120, 70, 40))):
        p.circle(sx - 10 + i * 10, sy - 52, 11, c)
    drop = min(1.0, (t % 3.0) / 1.2)
    p.circle(sx, sy - 100 + drop * 34, 5, (220, 20, 40))
    p.line([(sx, sy - 105 + drop * 34), (sx + 4, sy - 114 + drop * 34)], (60, 140, 60), 1)
    # doughnuts and cupcakes in front
    for i, (x, c) in enumerate(
        ((30, (236, 112, 160)), (74, (120, 70, 40)), (118, (250, 230, 120)))
    ):
        p.ellipse((x - 20, 244, x + 20, 272), (210, 150, 80))
        p.ellipse((x - 17, 244, x + 17, 266), c)
        p.ellipse((x - 6, 251, x + 6, 259), (255, 245, 230))
        for k in range(6):
            a = k * 1.1 + i
            p.line(
                [
                    (x + math.cos(a) * 11, 255 + math.sin(a) * 6),
                    (x + math.cos(a) * 11 + 2, 255 + math.sin(a) * 6 + 1),
                ],
                s.shirt(k),
                1.2,
            )
    _cupcake(p, 168, 278, (190, 140, 230))
    rng = random.Random(s.seed)
    for k in range(12):
        fx = rng.uniform(10, 190)
        y = (rng.uniform(0, 200) + t * 40) % 200 + 70
        p.rect((fx, y, fx + 3, y + 1.2), s.shirt(k))


def beach_vacation(p: Painter, t: float, s: Style) -> None:
    """Someone lounges under a parasol with a cold drink on a palm-lined beach holiday."""
    sky(p, s, 150)
    sun(p, 160, 60, 16, t)
    p.vgradient((0, 140, p.width, 200), (30, 150, 210), (90, 210, 220))
    for i in range(3):
        y = 160 + i * 12
        off = math.sin(t * 1.5 + i) * 10
        p.arc((-40 + off, y - 4, 260 + off, y + 8), 200, 340, WHITE, 1.2)
    p.rect((0, 196, p.width, p.height), (245, 222, 170))
    palm(p, 20, 250, 150, math.sin(t * 1.3))
    # parasol
    p.line([(118, 150), (112, 250)], (120, 90, 60), 2.5)
    for i, c in enumerate(((230, 60, 60), WHITE, (230, 60, 60), WHITE)):
        p.pieslice((68, 130, 168, 178), 180 + i * 45, 180 + (i + 1) * 45, c)
    # lounger and relaxing person (lying down)
    p.line([(60, 262), (70, 250), (160, 250), (170, 262)], (160, 120, 80), 2)
    p.polygon(
        [(64, 248), (150, 248), (172, 222), (166, 218), (146, 242), (64, 242)], (40, 160, 200)
    )
    y = 238
    p.rect((80, y - 6, 140, y + 4), s.skin(1), radius=5)
    p.rect((98, y - 8, 124, y + 4), s.shirt(3), radius=4)
    p.circle(150, y - 14, 8, s.skin(1))
    p.chord((141, y - 24, 159, y - 10), 180, 360, s.hair(0))
    p.rect((143, y - 17, 157, y - 13), (20, 20, 20), radius=1)
    # cocktail on a side table, rising bubbles
    p.rect((176, 240, 196, 244), (150, 110, 70))
    p.line([(186, 244), (186, 262)], (150, 110, 70), 2)
    p.polygon([(178, 216), (194, 216), (186, 234)], (250, 160, 80))
    p.line([(186, 234), (186, 240)], (200, 200, 210), 1)
    p.circle(193, 216, 3, (250, 220, 60))
    for k in range(3):
        p.circle(184 + k * 2, 228 - ((t * 8 + k * 4) % 10), 0.8, WHITE)


def concert(p: Painter, t: float, s: Style) -> None:
    """A live concert: a guitarist under sweeping spotlights, a crowd with hands in the air."""
    p.vgradient((0, 0, p.width, p.height), (15, 10, 40), (60, 20, 80))
    p.rect((0, 40, p.width, 50), (60, 60, 70))
    for i in range(4):
        ang = math.sin(t * 1.6 + i * 1.3) * 0.5
        x0 = 30 + i * 50
        tip = (x0 + math.sin(ang) * 260, 50 + math.cos(ang) * 260)
        p.glow(
            [(x0 - 3, 50), (x0 + 3, 50), (tip[0] + 40, tip[1]), (tip[0] - 40, tip[1])],
            (s.shirt(i), (255, 240, 150))[i % 2],
            0.35,
        )
        p.circle(x0, 48, 5, (255, 250, 210))
    p.rect((0, 200, p.width, 214), (40, 30, 50))
    p.label((60, 60, 140, 76), "LIVE TONIGHT", (220, 40, 120))
    # guitarist
    g = person(
        p,
        100 + s.dx / 2,
        202,
        96,
        skin=s.skin(2),
        shirt=(30, 30, 30),
        hair=s.hair(1),
        hair_style="long",
        arm_l=40,
        bend_l=50,
        arm_r=40 + math.sin(t * 10) * 10,
        bend_r=60,
        pants=(20, 20, 60),
    )
    gx, gy = 100 + s.dx / 2, g.hip_y - 6
    p.ellipse((gx - 16, gy - 8, gx + 6, gy + 14), (200, 60, 40))
    p.ellipse((gx - 10, gy - 14, gx + 8, gy + 2), (200, 60, 40))
    p.line([(gx, gy), (gx + 34, gy - 26)], (90, 60, 30), 3)
    p.line([(gx - 40, 202), (gx - 40, 150)], (150, 150, 160), 1.5)
    p.circle(gx - 40, 148, 3, (40, 40, 40))
    # crowd silhouettes with raised hands
    for i in range(9):
        x = i * 26 - 4
        bob = math.sin(t * 6 + i) * 3
        head_y = 250 + (i % 2) * 10 + bob
        col = (25, 15, 35)
        p.circle(x, head_y, 10, col)
        p.rect((x - 14, head_y + 8, x + 14, 310), col, radius=8)
        if i % 2 == 0:
            p.line([(x + 10, head_y + 12), (x + 18, head_y - 30 + bob)], col, 4)
            p.circle(x + 18, head_y - 32 + bob, 3, col)
    rng = random.Random(s.seed)
    for k in range(14):
        fx = rng.uniform(0, 216)
        y = (rng.uniform(0, 200) + t * 35) % 220 + 40
        p.rect((fx, y, fx + 3, y + 2), lighten(s.shirt(k), 0.2))
    p.shade((0, 0, p.width, 40), darken((15, 10, 40), 0.5), 0.5)
