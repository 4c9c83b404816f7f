"""H.264 / HEVC bitstream forms: Annex B (start codes, MPEG-TS) and length-prefixed (avcC/hvcC: MP4, MOV, MKV).

Splitting and packing NAL units, the parameter sets of an avcC/hvcC record, the NAL types of a packet, and
the end-of-sequence NAL that tells a decoder a new coded video sequence follows (so a copied open-GOP
I-frame after a join starts cleanly), and the HEVC splice mark (a CRA picture after a join made a BLA
picture). Pure functions; any thread.
"""

from __future__ import annotations

# -- bitstream forms --------------------------------------------------------------------------------

def _annexb_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each NAL unit of an Annex B buffer, start codes excluded."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    spans = []
    for k, s in enumerate(starts):
        e = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        if k + 1 < len(starts):
            while e > s and data[e - 1] == 0:
                e -= 1  # the leading zero of a 4-byte start code (NALs never end in 00)
        spans.append((s, e))
    return spans


def split_annexb(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B buffer (start codes 00 00 01 or 00 00 00 01 removed)."""
    return [data[s:e] for s, e in _annexb_spans(data)]


def parameter_sets(codec: str, extradata: bytes) -> tuple[int, list[bytes]]:
    """(NAL length size, parameter set NALs) from avcC / hvcC extradata; (0, NALs) for Annex B extradata."""
    if not extradata:
        return 0, []
    if extradata[0] != 1:
        return 0, split_annexb(extradata)
    nals: list[bytes] = []
    if codec == "h264":
        length_size, pos = (extradata[4] & 3) + 1, 5
        for group in range(2):
            count = extradata[pos] & (0x1F if group == 0 else 0xFF)
            pos += 1
            for _ in range(count):
                n = int.from_bytes(extradata[pos:pos + 2], "big")
                nals.append(extradata[pos + 2:pos + 2 + n])
                pos += 2 + n
        return length_size, nals
    length_size, arrays, pos = (extradata[21] & 3) + 1, extradata[22], 23
    for _ in range(arrays):
        count = int.from_bytes(extradata[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            n = int.from_bytes(extradata[pos:pos + 2], "big")
            nals.append(extradata[pos + 2:pos + 2 + n])
            pos += 2 + n
    return length_size, nals


def pack(nals: list[bytes], length_size: int) -> bytes:
    if length_size == 0:
        return b"".join(b"\x00\x00\x00\x01" + n for n in nals)
    return b"".join(len(n).to_bytes(length_size, "big") + n for n in nals)


def nal_starts(data: bytes, length_size: int) -> list[int]:
    """Where the header byte of each non-empty NAL unit of a packet is (Annex B when ``length_size`` is 0)."""
    if length_size == 0:
        return [s for s, e in _annexb_spans(data) if e > s]
    starts: list[int] = []
    pos = 0
    while pos + length_size <= len(data):
        n = int.from_bytes(data[pos:pos + length_size], "big")
        if n and pos + length_size < len(data):
            starts.append(pos + length_size)
        pos += length_size + n
    return starts


def nal_types(data: bytes, length_size: int, codec: str = "h264") -> list[int]:
    if codec == "hevc":
        return [(data[at] >> 1) & 0x3F for at in nal_starts(data, length_size)]
    return [data[at] & 0x1F for at in nal_starts(data, length_size)]


def end_of_sequence(codec: str, length_size: int) -> bytes:
    """An end-of-sequence NAL unit in the stream's form (append it to the last packet before a join)."""
    nal = b"\x0a" if codec == "h264" else b"\x48\x01"
    return pack([nal], length_size)


HEVC_CRA, HEVC_BLA_W_LP = 21, 16


def hevc_cra_as_bla(data: bytes, length_size: int) -> bytes:
    """An HEVC packet with each CRA NAL unit (type 21) marked BLA_W_LP (16), the same slice syntax: the
    splice point the standard provides for a CRA that follows other pictures. A decoder starts a new
    picture order there and still shows every picture before it; after an end of sequence a plain CRA makes
    FFmpeg's decoder drop the pictures it has not shown yet (the last B-frames of the segment before)."""
    out = bytearray(data)
    for at in nal_starts(data, length_size):
        if (out[at] >> 1) & 0x3F == HEVC_CRA:
            out[at] = (out[at] & 0x81) | (HEVC_BLA_W_LP << 1)
    return bytes(out)
