#!/usr/bin/env node
/**
 * Draws icon.png, the Claude Desktop bundle's icon (512x512, the size the .mcpb docs recommend):
 * three rising bars and a quota line on a rounded blue square. Plain shapes, 4x4 supersampled,
 * written as an RGBA PNG with node:zlib (deflate and crc32), so no image library is needed.
 * Run `node scripts/make-icon.mjs` after changing the drawing; the PNG is checked in.
 */
import { writeFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";

const SIZE = 512;
const SAMPLES = 4;
const BACKGROUND = [0x1d, 0x4e, 0x89];
const BAR = [0xff, 0xff, 0xff];
const QUOTA = [0xf5, 0xb7, 0x31];

/** Inside a rectangle with rounded corners of radius r. */
function inRoundedRect(x, y, left, top, right, bottom, r) {
  if (x < left || x > right || y < top || y > bottom) return false;
  const cx = Math.min(Math.max(x, left + r), right - r);
  const cy = Math.min(Math.max(y, top + r), bottom - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The colour at a sample point, or undefined outside the icon. Later shapes are drawn on top. */
function colourAt(x, y) {
  if (!inRoundedRect(x, y, 16, 16, 496, 496, 96)) return undefined;
  if (y >= 170 && y <= 194 && x >= 88 && x <= 424) return QUOTA;
  const bars = [
    [112, 300],
    [216, 230],
    [320, 150],
  ];
  for (const [left, top] of bars) if (inRoundedRect(x, y, left, top, left + 80, 416, 14)) return BAR;
  return BACKGROUND;
}

const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  rows[row] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, covered = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const colour = colourAt(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
        if (!colour) continue;
        r += colour[0]; g += colour[1]; b += colour[2]; covered++;
      }
    }
    const at = row + 1 + px * 4;
    if (covered > 0) {
      rows[at] = Math.round(r / covered);
      rows[at + 1] = Math.round(g / covered);
      rows[at + 2] = Math.round(b / covered);
    }
    rows[at + 3] = Math.round((255 * covered) / (SAMPLES * SAMPLES));
  }
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // colour type: RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk("IHDR", header),
  chunk("IDAT", deflateSync(rows, { level: 9 })),
  chunk("IEND", Buffer.alloc(0)),
]);
const out = new URL("../icon.png", import.meta.url);
writeFileSync(out, png);
console.log(`icon.png: ${SIZE}x${SIZE}, ${png.length} bytes`);
