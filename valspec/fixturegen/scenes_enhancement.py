"""Scenes for self-enhancement: achievement (graduation, a trophy on the podium, a
promotion) and power (a luxury car, a corner office, a boss at the head of the table).

Each scene draws one frame at time ``t`` (seconds) in 216x384 base coordinates.
"""

from __future__ import annotations

import math
import random

from valspec.fixturegen.figures import Style, car, crowd_member, person, sky, skyline, sun
from valspec.fixturegen.painter import RGB, WHITE, Painter, darken, lighten

GOLD: RGB = (240, 190, 40)
GOWN: RGB = (30, 40, 90)


def _confetti(p: Painter, t: float, s: Style, n: int = 24, top: float = 40) -> None:
    rng = random.Random(s.seed + 7)
    for k in range(n):
        x = rng.uniform(0, p.width) + math.sin(t * 3 + k) * 4
        y = (rng.uniform(0, 240) + t * 45) % 240 + top
        p.rect((x, y, x + 3.5, y + 2), s.shirt(k))


def _mortarboard(p: Painter, x: float, y: float, w: float, tilt: float = 0.0) -> None:
    """A graduation cap centred on (x, y), ``w`` wide, tilted by ``tilt`` (-1..1)."""
    d = tilt * w * 0.2
    p.polygon(
        [(x - w / 2, y + d), (x, y - w * 0.22), (x + w / 2, y - d), (x, y + w * 0.22)], (25, 25, 35)
    )
    p.rect((x - w * 0.22, y + w * 0.05, x + w * 0.22, y + w * 0.28), (25, 25, 35))
    p.line([(x, y), (x + w * 0.42, y + w * 0.3)], GOLD, max(1.0, w * 0.05))


def graduation(p: Painter, t: float, s: Style) -> None:
    """Graduates in gowns throw their caps in the air under a CLASS OF 2026 banner."""
    sky(p, s, 240)
    p.rect((0, 150, p.width, 240), (200, 190, 170))
    for i in range(6):
        x = 8.0 + i * 36
        p.rect((x, 150, x + 12, 240), (230, 225, 210))
    p.polygon([(-10, 150), (108, 110), (226, 150)], (180, 170, 150))
    p.label((24, 120, 192, 142), "CLASS OF 2026", (140, 20, 40))
    p.rect((0, 236, p.width, p.height), (100, 160, 80))
    throw = (t % 3.0) / 3.0
    for i in range(4):
        x = 28 + i * 48 + s.dx / 3
        arms = 160 if i % 2 == 0 else 150 - throw * 40
        pose = crowd_member(p, s, i, x, 282, 96, shirt=GOWN, pants=GOWN, arm_l=arms, arm_r=arms)
        p.rect((x - 6, pose.shoulder_y, x + 6, pose.shoulder_y + 6), GOLD)
        if i % 2:
            _mortarboard(p, pose.head[0], pose.head[1] - pose.head_r, 24)
        else:
            hx, hy = pose.hand_r
            _mortarboard(
                p, hx + 4, hy - 10 - math.sin(throw * math.pi) * 70, 22, math.sin(t * 5 + i)
            )
        if i == 3:
            p.rect(
                (pose.hand_l[0] - 12, pose.hand_l[1] - 4, pose.hand_l[0] + 2, pose.hand_l[1] + 2),
                (250, 245, 230),
            )
            p.rect(
                (pose.hand_l[0] - 6, pose.hand_l[1] - 4, pose.hand_l[0] - 4, pose.hand_l[1] + 2),
                (180, 30, 40),
            )
    _confetti(p, t, s, 16, 60)


def trophy_podium(p: Painter, t: float, s: Style) -> None:
    """A winner on the top step of the podium lifts a gold trophy in a shower of confetti."""
    p.vgradient((0, 0, p.width, p.height), (20, 40, 90), (60, 100, 170))
    for i in range(3):
        ang = math.sin(t + i * 2) * 0.3
        p.glow(
            [
                (60 + i * 48, 30),
                (70 + i * 48, 30),
                (110 + math.sin(ang) * 200, 290),
                (30 + math.sin(ang) * 200, 290),
            ],
            (255, 245, 200),
            0.18,
        )
    p.label((30, 44, 186, 64), "CHAMPIONS FINAL", (200, 30, 60))
    steps = ((76, 222, "1", GOLD), (8, 244, "2", (200, 200, 210)), (144, 256, "3", (205, 127, 50)))
    for x, top, label, c in steps:
        p.rect((x, top, x + 64, 300), c)
        p.text((x + 32, top + 20), label, 20, WHITE)
    lift = (math.sin(t * 3) + 1) / 2
    win = crowd_member(
        p, s, 0, 108 + s.dx / 4, 222, 92, arm_l=150 + lift * 15, arm_r=150 + lift * 15
    )
    tx = (win.hand_l[0] + win.hand_r[0]) / 2
    ty = min(win.hand_l[1], win.hand_r[1]) - 4
    p.polygon([(tx - 14, ty - 26), (tx + 14, ty - 26), (tx + 8, ty - 6), (tx - 8, ty - 6)], GOLD)
    p.arc((tx - 22, ty - 24, tx - 8, ty - 12), 90, 270, GOLD, 2)
    p.arc((tx + 8, ty - 24, tx + 22, ty - 12), 270, 90, GOLD, 2)
    p.rect((tx - 2, ty - 6, tx + 2, ty), GOLD)
    p.rect((tx - 8, ty, tx + 8, ty + 4), darken(GOLD, 0.3))
    p.star(tx, ty - 17, 5, WHITE)
    crowd_member(p, s, 1, 40, 244, 84, arm_l=20, arm_r=60, bend_r=60)
    crowd_member(p, s, 2, 176, 256, 80, arm_l=60, bend_l=60, arm_r=20)
    for i in range(3):
        tw = (t * 2 + i * 0.3) % 1.0
        p.star(40 + i * 64, 90 + i * 8, 3 + 3 * tw, (255, 240, 160))
    _confetti(p, t, s)


def promotion(p: Painter, t: float, s: Style) -> None:
    """A manager congratulates an employee beside a new nameplate and a rising sales chart."""
    p.rect((0, 0, p.width, p.height), (225, 232, 240))
    p.rect((0, 250, p.width, p.height), (150, 150, 160))
    p.label((24, 44, 192, 66), "PROMOTED!", (46, 150, 80), size=13)
    # chart on the wall, bars rising
    p.rect((120, 80, 200, 150), WHITE, (180, 180, 190), 1)
    grow = min(1.0, 0.4 + (t % 4.0) / 3)
    for i in range(4):
        h = (12 + i * 12) * grow
        p.rect((128 + i * 18, 144 - h, 140 + i * 18, 144), (52, 152, 219))
    p.line([(126, 136), (146, 124), (164, 118), (196, 88 + (1 - grow) * 20)], (231, 76, 60), 2)
    p.polygon(
        [(196, 82 + (1 - grow) * 20), (200, 92 + (1 - grow) * 20), (190, 90 + (1 - grow) * 20)],
        (231, 76, 60),
    )
    shake = math.sin(t * 8) * 3
    boss = person(
        p,
        56,
        270,
        100,
        skin=s.skin(4),
        shirt=(50, 55, 70),
        pants=(50, 55, 70),
        hair=s.hair(2),
        arm_r=60 + shake,
        bend_r=10,
    )
    p.polygon(
        [
            (56, boss.shoulder_y),
            (53, boss.shoulder_y + 14),
            (56, boss.shoulder_y + 20),
            (59, boss.shoulder_y + 14),
        ],
        (180, 30, 40),
    )
    emp = crowd_member(p, s, 1, 132 + s.dx / 3, 270, 96, arm_l=60 - shake, bend_l=10, arm_r=20)
    p.circle(
        (boss.hand_r[0] + emp.hand_l[0]) / 2, (boss.hand_r[1] + emp.hand_l[1]) / 2, 4, s.skin(4)
    )
    # desk with the new nameplate
    p.rect((100, 230, 214, 240), (120, 80, 50))
    p.rect((148, 214, 208, 230), (60, 40, 20))
    p.text((178, 222), "SENIOR MANAGER", 4.6, GOLD)
    p.rect((104, 210, 124, 230), (250, 250, 250), radius=2)
    p.text((114, 220), "NEW", 5, (231, 76, 60))


def luxury_car(p: Painter, t: float, s: Style) -> None:
    """A gleaming sports car rolls up to a mansion; the owner in a suit holds the keys."""
    sky(p, s, 220)
    sun(p, 40, 60, 12, t)
    p.rect((20, 110, 196, 220), (245, 240, 230))
    p.polygon([(10, 112), (108, 80), (206, 112)], (90, 90, 100))
    for i in range(5):
        x = 30 + i * 34
        p.rect((x, 124, x + 12, 160), (170, 210, 240), (220, 200, 140), 1)
        p.rect((x + 4, 176, x + 8, 220), WHITE)
    p.rect((94, 180, 122, 220), (120, 80, 40))
    p.rect((0, 218, p.width, p.height), (70, 70, 80))
    p.line([(0, 270), (p.width, 270)], (220, 200, 80), 1.5)
    arrive = min(1.0, (t % 4.0) / 1.2)
    cx = -120 + (1 - (1 - arrive) ** 2) * 126 + s.dx / 3
    paint = ((200, 20, 30), (20, 20, 24), (245, 190, 20), (170, 175, 185))[s.seed % 4]
    car(p, cx, 262, 130, paint, sporty=True)
    glint = (t * 1.5) % 1.0
    p.star(cx + 30 + glint * 70, 236, 4, WHITE)
    owner = person(
        p,
        170,
        268,
        98,
        skin=s.skin(2),
        shirt=(25, 25, 30),
        pants=(25, 25, 30),
        hair=s.hair(0),
        arm_r=70,
        bend_r=60,
    )
    p.rect(
        (owner.head[0] - 7, owner.head[1] - 3, owner.head[0] + 7, owner.head[1] + 1),
        (10, 10, 10),
        radius=1,
    )
    p.polygon(
        [
            (170, owner.shoulder_y),
            (167, owner.shoulder_y + 14),
            (170, owner.shoulder_y + 22),
            (173, owner.shoulder_y + 14),
        ],
        GOLD,
    )
    kx, ky = owner.hand_r
    p.circle(kx + 2, ky - 4 + math.sin(t * 6) * 2, 3, outline=GOLD, width=1.2)
    p.rect(
        (kx + 1, ky - 2 + math.sin(t * 6) * 2, kx + 9, ky + 4 + math.sin(t * 6) * 2),
        (20, 20, 20),
        radius=1,
    )


def corner_office(p: Painter, t: float, s: Style) -> None:
    """An executive leans back in a leather chair in a top-floor corner office over the city."""
    p.rect((0, 0, p.width, p.height), (40, 40, 50))
    p.vgradient((6, 40, 210, 230), (255, 170, 110), (120, 100, 160))
    skyline(p, 230, (50, 50, 80), s.seed, lit=(255, 220, 120))
    for x in (6, 74, 142, 210):
        p.rect((x - 3, 40, x + 3, 232), (30, 30, 36))
    p.rect((0, 36, p.width, 42), (30, 30, 36))
    p.rect((0, 228, p.width, p.height), (90, 60, 40))
    # leather chair and executive
    p.rect((84, 140, 142, 240), (18, 18, 22), radius=12)
    p.rect((88, 144, 138, 236), (45, 45, 52), radius=10)
    sway = math.sin(t * 1.2) * 3
    boss = person(
        p,
        113 + sway,
        284,
        116,
        skin=s.skin(3),
        shirt=(40, 55, 110),
        pants=(40, 55, 110),
        hair=s.hair(3),
        arm_l=35,
        bend_l=-40,
        arm_r=35,
        bend_r=-40,
    )
    p.polygon(
        [
            (113 + sway, boss.shoulder_y),
            (110 + sway, boss.shoulder_y + 14),
            (113 + sway, boss.shoulder_y + 22),
            (116 + sway, boss.shoulder_y + 14),
        ],
        (170, 20, 30),
    )
    # executive desk
    p.rect((20, 232, 200, 244), (110, 70, 40))
    p.rect((26, 244, 194, 300), (80, 50, 30))
    p.rect((70, 216, 146, 232), (30, 30, 30), radius=2)
    p.text((108, 224), "CEO", 10, GOLD)
    p.rect((162, 214, 188, 232), (50, 50, 60), radius=2)
    p.rect((164, 216, 186, 228), (90, 160, 230))
    p.rect((30, 222, 50, 232), lighten(GOLD, 0.2), radius=2)
    p.text((108, 60), "42ND FLOOR", 5, WHITE)


def boardroom(p: Painter, t: float, s: Style) -> None:
    """The boss stands at the head of a long boardroom table, directing seated staff."""
    p.rect((0, 0, p.width, p.height), (215, 215, 225))
    p.rect((0, 230, p.width, p.height), (120, 110, 100))
    # screen with a chart behind the boss
    p.rect((58, 44, 158, 104), (30, 40, 60))
    for i in range(5):
        h = 8 + i * 9
        p.rect((66 + i * 18, 98 - h, 78 + i * 18, 98), (46, 204, 113))
    p.text((108, 52), "Q4 TARGETS", 6, WHITE)
    point = math.sin(t * 2.5) * 12
    boss = person(
        p,
        108 + s.dx / 3,
        190,
        92,
        skin=s.skin(5),
        shirt=(35, 35, 45),
        pants=(35, 35, 45),
        hair=s.hair(4),
        hair_style="short",
        arm_l=20,
        arm_r=120 + point,
        bend_r=-10,
    )
    p.polygon(
        [
            (108 + s.dx / 3, boss.shoulder_y),
            (105 + s.dx / 3, boss.shoulder_y + 14),
            (108 + s.dx / 3, boss.shoulder_y + 22),
            (111 + s.dx / 3, boss.shoulder_y + 14),
        ],
        (170, 20, 30),
    )
    # staff seated on both sides of a long table in perspective
    chairs = (72, 144, 224, 62), (50, 166, 266, 72)
    for row, (lx, rx, y, h) in enumerate(chairs):
        for side, x in ((-1, lx), (1, rx)):
            nod = math.sin(t * 3 + row + side) * 1.5
            p.rect((x - h * 0.22, y - h * 0.72, x + h * 0.22, y - h * 0.1), (40, 40, 50), radius=4)
            crowd_member(
                p,
                s,
                row * 2 + (side > 0),
                x,
                y + nod,
                h,
                seated=True,
                arm_l=35 if side > 0 else 10,
                arm_r=10 if side > 0 else 35,
                bend_l=20,
                bend_r=20,
            )
    p.polygon([(84, 196), (132, 196), (186, 296), (30, 296)], (100, 65, 40))
    p.polygon([(88, 199), (128, 199), (178, 290), (38, 290)], (130, 85, 50))
    for x, y in ((76, 230), (140, 230), (56, 268), (160, 268)):
        p.rect((x - 6, y - 3, x + 6, y + 3), WHITE)
        p.circle(x + (9 if x < 108 else -9), y - 2, 3, (250, 250, 250))
