"""Drawing primitives in frame coordinates, rendered supersampled for smooth edges.

Scenes and post chrome draw in a fixed base coordinate system (the output frame, e.g.
216x384); :class:`Painter` scales every coordinate by an integer factor so the frame can be
drawn large and shrunk once, which anti-aliases shapes and text without font files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
Color = RGB | RGBA
Point = tuple[float, float]
Box = tuple[float, float, float, float]

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font (Aileron) at ``size`` pixels; needs no font file."""
    loaded = ImageFont.load_default(size=size)
    if not isinstance(loaded, ImageFont.FreeTypeFont):  # Pillow < 10.1 or no FreeType
        raise RuntimeError("fixturegen needs Pillow >= 10.1 built with FreeType")
    return loaded


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend of two colours: ``t = 0`` gives ``a``, ``t = 1`` gives ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def lighten(c: RGB, t: float) -> RGB:
    """``c`` moved toward white by ``t``."""
    return mix(c, WHITE, t)


def darken(c: RGB, t: float) -> RGB:
    """``c`` moved toward black by ``t``."""
    return mix(c, BLACK, t)


class Painter:
    """Draws on an image ``scale`` times the base frame size, taking base coordinates."""

    def __init__(self, width: int, height: int, scale: int = 2, background: Color = WHITE) -> None:
        self.width = width
        self.height = height
        self.scale = scale
        mode = "RGBA" if len(background) == 4 else "RGB"
        self.image = Image.new(mode, (width * scale, height * scale), background)
        self.draw = ImageDraw.Draw(self.image)

    @classmethod
    def on(cls, image: Image.Image, scale: int = 1) -> Painter:
        """A painter drawing on an existing image whose size is ``scale`` times the base."""
        painter = cls.__new__(cls)
        painter.width, painter.height = image.width // scale, image.height // scale
        painter.scale = scale
        painter.image = image
        painter.draw = ImageDraw.Draw(image)
        return painter

    # -- coordinate helpers -------------------------------------------------------------
    def _b(self, box: Box) -> tuple[float, float, float, float]:
        s = self.scale
        x0, y0, x1, y1 = box
        return (min(x0, x1) * s, min(y0, y1) * s, max(x0, x1) * s, max(y0, y1) * s)

    def _pts(self, points: Sequence[Point]) -> list[tuple[float, float]]:
        s = self.scale
        return [(x * s, y * s) for x, y in points]

    def _w(self, width: float) -> int:
        return max(1, round(width * self.scale))

    # -- shapes ---------------------------------------------------------------------------
    def rect(
        self,
        box: Box,
        fill: Color | None = None,
        outline: Color | None = None,
        width: float = 1.0,
        radius: float = 0.0,
    ) -> None:
        """Axis-aligned rectangle, optionally with rounded corners."""
        b = self._b(box)
        if radius > 0:
            r = min(radius * self.scale, (b[2] - b[0]) / 2, (b[3] - b[1]) / 2)
            self.draw.rounded_rectangle(
                b, radius=r, fill=fill, outline=outline, width=self._w(width)
            )
        else:
            self.draw.rectangle(b, fill=fill, outline=outline, width=self._w(width))

    def ellipse(
        self, box: Box, fill: Color | None = None, outline: Color | None = None, width: float = 1.0
    ) -> None:
        """Ellipse inside ``box``."""
        self.draw.ellipse(self._b(box), fill=fill, outline=outline, width=self._w(width))

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        fill: Color | None = None,
        outline: Color | None = None,
        width: float = 1.0,
    ) -> None:
        """Circle of radius ``r`` centred on (cx, cy)."""
        self.ellipse((cx - r, cy - r, cx + r, cy + r), fill, outline, width)

    def polygon(
        self, points: Sequence[Point], fill: Color | None = None, outline: Color | None = None
    ) -> None:
        """Filled polygon through ``points``."""
        self.draw.polygon(self._pts(points), fill=fill, outline=outline)

    def line(self, points: Sequence[Point], fill: Color, width: float = 1.0) -> None:
        """Poly-line with rounded joints (thick strokes look like limbs and ropes)."""
        pts = self._pts(points)
        w = self._w(width)
        self.draw.line(pts, fill=fill, width=w, joint="curve")
        if w >= 3:
            for x, y in (pts[0], pts[-1]):
                self.draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=fill)

    def arc(self, box: Box, start: float, end: float, fill: Color, width: float = 1.0) -> None:
        """Arc of the ellipse in ``box`` from ``start`` to ``end`` degrees (clockwise)."""
        self.draw.arc(self._b(box), start, end, fill=fill, width=self._w(width))

    def pieslice(self, box: Box, start: float, end: float, fill: Color) -> None:
        """Filled wedge of the ellipse in ``box``."""
        self.draw.pieslice(self._b(box), start, end, fill=fill)

    def chord(self, box: Box, start: float, end: float, fill: Color) -> None:
        """Ellipse segment cut by the chord from ``start`` to ``end`` degrees."""
        self.draw.chord(self._b(box), start, end, fill=fill)

    def vgradient(self, box: Box, top: Color, bottom: Color) -> None:
        """Vertical colour gradient filling ``box`` (skies, water, stage lights, scrims).

        Pixels are replaced, not blended, so on an RGBA layer the alpha is a gradient too.
        """
        x0, y0, x1, y1 = (round(v) for v in self._b(box))
        x0, x1 = max(0, x0), min(self.image.width, x1)
        if x1 <= x0 or y1 <= y0:
            return
        rows = y1 - y0
        f = np.arange(rows, dtype=np.float64)[:, None] / max(1, rows - 1)
        a = np.array(top, dtype=np.float64)[None, :]
        b = np.array(bottom, dtype=np.float64)[None, :]
        column = np.round(a + (b - a) * f).astype(np.uint8)
        strip = Image.fromarray(column[:, None, :], self.image.mode)
        self.image.paste(strip.resize((x1 - x0, rows), Image.Resampling.NEAREST), (x0, y0))

    def shade(self, box: Box, color: RGB, alpha: float) -> None:
        """Blend ``color`` over ``box`` with opacity ``alpha`` (0..1)."""
        x0, y0, x1, y1 = (round(v) for v in self._b(box))
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.image.width, x1), min(self.image.height, y1)
        if x1 <= x0 or y1 <= y0:
            return
        region = self.image.crop((x0, y0, x1, y1))
        solid = Image.new("RGB", region.size, color)
        self.image.paste(Image.blend(region, solid, alpha), (x0, y0))

    def glow(self, points: Sequence[Point], color: RGB, alpha: float) -> None:
        """Blend a translucent polygon (light beams, shadows) over what is drawn."""
        mask = Image.new("L", self.image.size, 0)
        ImageDraw.Draw(mask).polygon(self._pts(points), fill=round(255 * alpha))
        self.image.paste(color, (0, 0, *self.image.size), mask)

    def star(self, cx: float, cy: float, r: float, fill: Color, points: int = 5) -> None:
        """A filled star (trophies, sparkles, ratings)."""
        pts: list[Point] = []
        for i in range(points * 2):
            radius = r if i % 2 == 0 else r * 0.45
            a = math.pi * i / points - math.pi / 2
            pts.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
        self.polygon(pts, fill)

    def heart(self, cx: float, cy: float, r: float, fill: Color) -> None:
        """A filled heart centred near (cx, cy) with half-width ``r``."""
        self.circle(cx - r / 2, cy - r / 4, r / 2, fill)
        self.circle(cx + r / 2, cy - r / 4, r / 2, fill)
        self.polygon([(cx - r, cy - r / 8), (cx + r, cy - r / 8), (cx, cy + r)], fill)

    # -- text -----------------------------------------------------------------------------
    def text(
        self,
        xy: Point,
        text: str,
        size: float,
        fill: Color,
        anchor: str = "mm",
        stroke: float = 0.0,
        stroke_fill: Color | None = None,
    ) -> None:
        """Text at ``xy`` in base pixels; ``anchor`` as in Pillow ("mm" centres it)."""
        self.draw.text(
            (xy[0] * self.scale, xy[1] * self.scale),
            text,
            fill=fill,
            font=font(round(size * self.scale)),
            anchor=anchor,
            stroke_width=round(stroke * self.scale),
            stroke_fill=stroke_fill,
        )

    def text_width(self, text: str, size: float) -> float:
        """Width of ``text`` in base pixels."""
        return font(round(size * self.scale)).getlength(text) / self.scale

    def label(
        self,
        box: Box,
        text: str,
        fill: Color,
        color: RGB = WHITE,
        size: float | None = None,
        radius: float = 2.0,
    ) -> None:
        """A sign or banner: a rounded box with centred text shrunk to fit."""
        self.rect(box, fill=fill, radius=radius)
        x0, y0, x1, y1 = box
        height = abs(y1 - y0)
        size = size or height * 0.62
        while size > 5 and self.text_width(text, size) > abs(x1 - x0) - 4:
            size -= 0.5
        self.text(((x0 + x1) / 2, (y0 + y1) / 2), text, size, color)

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        """Split ``text`` into lines no wider than ``max_width`` at this size."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and self.text_width(trial, size) > max_width:
                lines.append(current)
                current = word
            else:
                current = trial
        if current:
            lines.append(current)
        return lines

    # -- output ---------------------------------------------------------------------------
    def result(self) -> Image.Image:
        """The frame at base size, shrunk from the supersampled canvas."""
        if self.scale == 1:
            return self.image.copy()
        return self.image.reduce(self.scale)
