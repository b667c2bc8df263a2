"""`interlog teams-manifest`: a zip Teams accepts (manifest 1.17, bot, commands, two icons)."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

from click.testing import CliRunner

from interlog.cli import cli

APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def decode_png(data: bytes) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and RGBA rows of an 8-bit RGBA, filter-0 PNG (what we write)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * width
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0
        rows.append([tuple(line[1 + 4 * x:5 + 4 * x]) for x in range(width)])
    return width, height, rows


def test_manifest_package(tmp_path: Path) -> None:
    out = tmp_path / "interlog.zip"
    result = CliRunner().invoke(cli, ["teams-manifest", "--app-id", APP_ID, "--endpoint",
                                      "https://bot.contoso.com/api/messages", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as package:
        assert package.testzip() is None
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = decode_png(package.read("color.png"))
        outline = decode_png(package.read("outline.png"))
    assert manifest["manifestVersion"] == "1.17"
    assert "/v1.17/" in manifest["$schema"]
    assert manifest["id"] == APP_ID
    assert manifest["validDomains"] == ["bot.contoso.com"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    assert all(manifest["developer"][k].startswith("https://")
               for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    [command_list] = bot["commandLists"]
    titles = [c["title"] for c in command_list["commands"]]
    assert titles == ["log", "cancel", "restore", "show", "templates", "help"]
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128
               for c in command_list["commands"])
    assert color[:2] == (192, 192)
    assert outline[:2] == (32, 32)
    outline_pixels = {pixel for row in outline[2] for pixel in row}
    assert outline_pixels == {(0, 0, 0, 0), (255, 255, 255, 255)}  # white on transparent
    assert all(pixel[3] == 255 for row in color[2] for pixel in row)  # colour icon is opaque


def test_bad_app_id_or_endpoint_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    cases = [
        (["--app-id", "my-bot", "--endpoint", "https://bot.contoso.com/api/messages"],
         "--app-id 'my-bot' is not the bot's Microsoft App ID (a GUID)"),
        (["--app-id", APP_ID, "--endpoint", "http://bot.contoso.com/api/messages"],
         "must be an https URL"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(cli, ["teams-manifest", *args, "--out", str(out)],
                                    standalone_mode=False)
        assert message in str(result.exception)
    assert not out.exists()
