"""Scenes for conservation: security (a home security check, a savings plan), conformity
(waiting in line, keeping quiet in a library) and tradition (a wedding ritual, a holiday
dinner with the grandparents).

Each scene draws one frame at time ``t`` (seconds) in 216x384 base coordinates.
"""

from __future__ import annotations

import math
import random

from valspec.fixturegen.figures import Style, crowd_member, person, sky, tree
from valspec.fixturegen.painter import RGB, WHITE, Painter, darken, lighten

GOLD: RGB = (240, 190, 40)


def home_security(p: Painter, t: float, s: Style) -> None:
    """A homeowner checks the deadbolt while a camera scans the porch and the alarm is armed."""
    sky(p, s, 120)
    p.rect((0, 60, p.width, 270), (225, 205, 175))
    for y in range(66, 270, 10):
        p.line([(0, y), (p.width, y)], darken((225, 205, 175), 0.06), 1)
    p.rect((0, 262, p.width, p.height), (150, 150, 150))
    # front door with a big deadbolt
    p.rect((80, 110, 150, 264), (120, 50, 40))
    p.rect((86, 118, 144, 180), (140, 60, 50))
    p.rect((86, 190, 144, 256), (140, 60, 50))
    p.circle(138, 188, 4, GOLD)
    lock = min(1.0, (t % 3.0) / 1.5)
    p.rect((130, 170, 146, 182), (150, 150, 160), radius=2)
    p.rect((146 - 8 * (1 - lock), 174, 154, 178), (190, 190, 200))
    p.circle(138, 176, 3, (80, 80, 90))
    # security camera that pans, with a blinking light
    pan = math.sin(t * 1.5) * 12
    p.rect((22, 78, 26, 96), (70, 70, 80))
    p.polygon(
        [(14 + pan / 3, 92), (52 + pan, 100), (50 + pan, 112), (12 + pan / 3, 104)], (240, 240, 245)
    )
    p.circle(50 + pan, 106, 4, (40, 40, 50))
    if (t * 2) % 1.0 < 0.5:
        p.circle(20 + pan / 3, 98, 2, (230, 30, 30))
    p.glow([(52 + pan, 106), (100 + pan * 3, 250), (20 + pan * 3, 250)], (255, 255, 200), 0.12)
    # alarm keypad saying ARMED
    p.rect((162, 150, 198, 200), (60, 60, 70), radius=3)
    p.rect((166, 154, 194, 166), (40, 200, 90))
    p.text((180, 160), "ARMED", 6, (10, 40, 20))
    for r in range(3):
        for c in range(3):
            p.rect((168 + c * 9, 172 + r * 9, 174 + c * 9, 177 + r * 9), (200, 200, 210), radius=1)
    p.rect((160, 208, 200, 226), WHITE, (200, 40, 40), 1.5)
    p.text((180, 217), "PROTECTED", 5, (200, 40, 40))
    # homeowner reaching for the lock
    crowd_member(
        p, s, 0, 56 + s.dx / 3, 290, 104, arm_r=95 + math.sin(t * 3) * 8, bend_r=-15, arm_l=15
    )


def savings_plan(p: Painter, t: float, s: Style) -> None:
    """Coins drop into a piggy bank beside a savings chart that climbs month by month."""
    p.vgradient((0, 0, p.width, p.height), (235, 245, 235), (210, 235, 215))
    p.label((24, 44, 192, 66), "MY SAVINGS PLAN", (40, 140, 80))
    # chart of growing savings
    p.rect((16, 80, 200, 170), WHITE, (190, 200, 190), 1)
    grow = min(1.0, 0.45 + (t % 4.0) / 3.5)
    for i in range(8):
        h = (10 + i * 8) * grow
        p.rect((26 + i * 21, 160 - h, 40 + i * 21, 160), (46, 160, 90) if i < 7 else GOLD)
    p.text((108, 88), "JAN  -  AUG", 5, (90, 110, 90))
    # piggy bank
    pink = (245, 160, 185)
    px, py = 100, 236
    p.ellipse((px - 50, py - 36, px + 50, py + 32), pink)
    p.circle(px + 48, py - 2, 13, lighten(pink, 0.1))
    p.ellipse((px + 52, py - 8, px + 64, py + 6), darken(pink, 0.15))
    p.circle(px + 56, py - 2, 1.5, (120, 60, 70))
    p.circle(px + 60, py - 2, 1.5, (120, 60, 70))
    p.circle(px + 36, py - 14, 2.5, (40, 30, 30))
    p.polygon([(px + 22, py - 30), (px + 34, py - 44), (px + 38, py - 26)], darken(pink, 0.1))
    for lx in (px - 30, px - 12, px + 12, px + 28):
        p.rect((lx - 6, py + 22, lx + 6, py + 40), darken(pink, 0.1), radius=3)
    p.arc((px - 66, py - 14, px - 46, py + 4), 90, 300, darken(pink, 0.1), 2.5)
    p.rect((px - 14, py - 37, px + 14, py - 33), darken(pink, 0.4), radius=2)
    # a coin falls into the slot on a loop; a stack grows beside
    fall = (t % 1.2) / 1.2
    cy = 100 + fall * 98
    p.ellipse((px - 8, cy - 8, px + 8, cy + 8), GOLD)
    p.text((px, cy), "$", 9, darken(GOLD, 0.4))
    for k in range(5 + int(t % 4.0)):
        p.ellipse((160, 266 - k * 5, 190, 274 - k * 5), GOLD, darken(GOLD, 0.3), 1)
    # a calendar with ticked months
    p.rect((12, 250, 50, 290), WHITE, (180, 180, 180), 1)
    p.rect((12, 250, 50, 258), (220, 60, 60))
    for k in range(6):
        cx, cyy = 18 + (k % 3) * 12, 266 + (k // 3) * 12
        p.line([(cx - 2, cyy), (cx, cyy + 3), (cx + 5, cyy - 4)], (40, 160, 80), 1.4)


def waiting_in_line(p: Painter, t: float, s: Style) -> None:
    """People wait patiently in a single-file queue behind floor markings; the line moves up."""
    p.rect((0, 0, p.width, p.height), (230, 226, 218))
    p.rect((0, 200, p.width, p.height), (190, 185, 175))
    p.label((18, 44, 198, 66), "PLEASE QUEUE HERE", (40, 90, 170))
    # counter on the left with a clerk
    p.rect((0, 150, 56, 250), (120, 130, 150))
    person(p, 28, 200, 80, skin=s.skin(5), shirt=(40, 90, 170), hair=s.hair(0), arm_l=10, arm_r=10)
    p.rect((0, 176, 60, 250), (100, 110, 130))
    p.text((30, 190), "NEXT", 6, WHITE)
    # posts with a rope
    for x in (70.0, 206.0):
        p.rect((x - 2, 214, x + 2, 270), (200, 170, 60))
    p.line([(70, 220), (138, 232), (206, 220)], (180, 30, 50), 2)
    advance = min(1.0, (t % 3.0) / 2.0)
    step = 30
    for i in range(5):
        x = 84 + i * step - advance * step + s.dx / 4
        feet = 292 - i * 8
        h = 96 - i * 6
        walk = math.sin(advance * math.pi * 2) * 0.4
        crowd_member(p, s, i, x, feet, h, arm_l=10, arm_r=10, stride=walk)
        p.rect((x - 10, feet - 1, x + 10, feet + 2), (240, 200, 40))
    if advance < 0.98:
        p.text((150, 100), ">>", 12, (40, 90, 170))


def quiet_library(p: Painter, t: float, s: Style) -> None:
    """Readers sit silently at a library table below a QUIET PLEASE sign; a page turns."""
    p.rect((0, 0, p.width, p.height), (240, 232, 215))
    rng = random.Random(s.seed)
    for row in range(3):
        y = 70 + row * 44
        p.rect((0, y + 36, p.width, y + 40), (120, 80, 45))
        x = 2.0
        while x < p.width:
            w = rng.uniform(5, 9)
            h = rng.uniform(24, 34)
            c = rng.choice(
                ((150, 40, 40), (40, 80, 140), (50, 120, 70), (180, 140, 60), (90, 60, 110))
            )
            p.rect((x, y + 36 - h, x + w - 1, y + 36), c)
            x += w
    p.label((44, 38, 172, 58), "QUIET PLEASE", (70, 70, 80))
    p.rect((0, 228, p.width, p.height), (160, 120, 80))
    # librarian with a finger to the lips
    lib = person(
        p,
        178,
        252,
        90,
        skin=s.skin(1),
        shirt=(90, 60, 110),
        hair=(200, 200, 205),
        hair_style="bun",
        arm_r=150,
        bend_r=-130,
        arm_l=10,
    )
    p.line(
        [
            (lib.head[0], lib.head[1] + lib.head_r * 0.2),
            (lib.head[0], lib.head[1] + lib.head_r * 0.9),
        ],
        s.skin(1),
        2,
    )
    # readers behind the table
    for i, x in enumerate((40, 104)):
        pose = crowd_member(
            p,
            s,
            i + 1,
            x + s.dx / 4,
            288,
            92,
            seated=True,
            arm_l=25,
            bend_l=50,
            arm_r=25,
            bend_r=50,
        )
        bob = math.sin(t * 0.8 + i) * 1
        p.rect(
            (x - 16, pose.hip_y - 12 + bob, x + 16, pose.hip_y + 2 + bob),
            (240, 240, 235),
            (120, 120, 120),
            0.8,
        )
        p.line([(x, pose.hip_y - 12 + bob), (x, pose.hip_y + 2 + bob)], (120, 120, 120), 0.8)
    p.rect((0, 252, 150, 262), (130, 90, 55))
    p.rect((6, 262, 14, 300), (110, 75, 45))
    p.rect((136, 262, 144, 300), (110, 75, 45))
    turn = (t % 2.5) / 2.5
    bx = 72
    p.rect((bx - 20, 244, bx + 20, 252), (40, 80, 140))
    p.rect((bx - 18, 242, bx, 250), WHITE)
    p.rect((bx, 242, bx + 18, 250), WHITE)
    w = 18 * math.cos(turn * math.pi)
    p.polygon([(bx, 242), (bx + w, 240), (bx + w, 248), (bx, 250)], (250, 250, 245))
    p.ellipse((120, 150, 160, 172), WHITE, (150, 150, 160), 1)
    p.polygon([(150, 168), (162, 176), (154, 166)], WHITE)
    p.text((140, 161), "shh...", 8, (90, 60, 110))


def wedding_ritual(p: Painter, t: float, s: Style) -> None:
    """A couple exchanges rings under a flower arch while guests look on and petals fall."""
    sky(p, s, 230)
    tree(p, 12, 230, 80)
    tree(p, 204, 230, 80)
    p.rect((0, 226, p.width, p.height), (120, 180, 100))
    p.rect((88, 226, 128, p.height), (240, 240, 245))
    # floral arch
    p.arc((40, 70, 176, 220), 180, 360, WHITE, 6)
    p.rect((40, 144, 46, 262), WHITE)
    p.rect((170, 144, 176, 262), WHITE)
    rng = random.Random(s.seed)
    for k in range(20):
        a = math.radians(180 + k * 9)
        fx, fy = 108 + math.cos(a) * 68, 145 + math.sin(a) * 75
        p.circle(fx, fy, 4, ((240, 120, 160), (250, 250, 250), (250, 200, 80))[k % 3])
    # couple
    p.polygon([(80, 160), (92, 160), (106, 236), (66, 236)], (235, 235, 245))
    bride = person(
        p,
        86,
        262,
        100,
        skin=s.skin(0),
        shirt=WHITE,
        hair=s.hair(3),
        hair_style="bun",
        skirt=True,
        pants=WHITE,
        arm_r=55,
        bend_r=20,
    )
    p.polygon([(86 - 20, 262), (86 + 20, 262), (86 + 8, 210), (86 - 8, 210)], WHITE)
    for k in range(5):
        p.circle(80 + k * 3, bride.head[1] - bride.head_r * 0.9, 1.6, (250, 200, 220))
    groom = person(
        p,
        130,
        262,
        104,
        skin=s.skin(4),
        shirt=(30, 30, 40),
        pants=(30, 30, 40),
        hair=s.hair(0),
        arm_l=55,
        bend_l=20,
    )
    p.polygon(
        [(130, groom.shoulder_y), (127, groom.shoulder_y + 6), (133, groom.shoulder_y + 6)], WHITE
    )
    p.circle(124, groom.shoulder_y + 8, 2.5, (220, 60, 90))
    rx = (bride.hand_r[0] + groom.hand_l[0]) / 2
    ry = (bride.hand_r[1] + groom.hand_l[1]) / 2
    p.circle(rx, ry - 3, 3.5, outline=GOLD, width=1.5)
    p.star(rx + 6, ry - 10, 2.5 + math.sin(t * 6), (255, 250, 200))
    p.text((108, 60), "Just Married", 11, (200, 80, 120))
    # guests on chairs and falling petals
    for i, x in enumerate((14.0, 40.0, 176.0, 202.0)):
        crowd_member(p, s, i + 1, x, 296, 70, seated=True)
    for k in range(18):
        x = rng.uniform(0, p.width) + math.sin(t * 2 + k) * 6
        y = (rng.uniform(0, 260) + t * 30) % 260 + 30
        p.ellipse((x, y, x + 4, y + 3), (245, 130, 170))


def holiday_dinner(p: Painter, t: float, s: Style) -> None:
    """Three generations share a holiday roast; grandparents at the head, candles lit."""
    p.rect((0, 0, p.width, p.height), (120, 40, 40))
    p.rect((0, 0, p.width, 150), (150, 60, 50))
    # garland with blinking lights and a wreath
    for k in range(11):
        x = 6.0 + k * 20
        y = 44 + math.sin(k * 0.9) * 4
        p.circle(x, y, 6, (40, 110, 60))
        on = (k + int(t * 4)) % 3 == 0
        p.circle(x, y + 5, 2, (255, 230, 120) if on else (200, 80, 60))
    p.circle(108, 88, 20, outline=(40, 120, 60), width=7)
    p.circle(108, 72, 4, (200, 30, 40))
    # family seated around the table: grandparents in the middle
    seats = ((30.0, 2, "short"), (70.0, 0, "grey"), (146.0, 4, "grey"), (186.0, 3, "long"))
    for i, (x, k, hs) in enumerate(seats):
        crowd_member(
            p,
            s,
            k,
            x,
            229,
            96 if hs == "grey" else 84,
            seated=True,
            hair_style=hs,
            arm_l=20 + (i == 1) * 30,
            arm_r=20 + (i == 2) * 30,
        )
    p.rect((0, 208, p.width, 300), (245, 240, 230))
    p.rect((0, 204, p.width, 210), (200, 40, 50))
    # roast turkey on a platter, steaming
    p.ellipse((64, 214, 152, 236), (230, 230, 235))
    p.ellipse((76, 196, 140, 230), (190, 110, 50))
    p.ellipse((86, 200, 122, 214), lighten((190, 110, 50), 0.2))
    for side in (-1, 1):
        p.line([(108 + side * 26, 212), (108 + side * 40, 200)], (200, 140, 80), 4)
        p.circle(108 + side * 41, 199, 3, WHITE)
    for k in range(3):
        drift = (t * 0.8 + k / 3) % 1.0
        x = 96 + k * 12 + math.sin(t * 3 + k) * 3
        p.arc((x - 4, 176 - drift * 30, x + 4, 188 - drift * 30), 270, 90, (245, 245, 245), 1.3)
    for x in (30, 186):
        p.rect((x - 2, 222, x + 2, 250), (245, 240, 220))
        f = math.sin(t * 11 + x) * 1.2
        p.ellipse((x - 3 - f, 212, x + 3 + f, 224), (255, 180, 50))
    for x in (58, 158):
        p.ellipse((x - 12, 244, x + 12, 256), WHITE, (200, 200, 200), 1)
    p.label((50, 114, 166, 130), "HAPPY HOLIDAYS", (40, 110, 60))
