"""Hypothesis helpers shared by the loaders' fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st


def mutate(data: st.DataObject, raw: bytes, alphabet: bytes, max_edits: int = 8) -> bytes:
    """A copy of ``raw`` with 1 to ``max_edits`` bytes set, deleted or inserted.

    ``alphabet`` holds the bytes worth trying: the format's own delimiters,
    digits and sign characters find more than random noise does.
    """
    mutated = bytearray(raw)
    for _ in range(data.draw(st.integers(1, max_edits))):
        pos = data.draw(st.integers(0, max(len(mutated) - 1, 0)))
        action = data.draw(st.sampled_from(["set", "delete", "insert"]))
        byte = data.draw(st.sampled_from(alphabet))
        if action == "set" and mutated:
            mutated[pos] = byte
        elif action == "delete" and mutated:
            del mutated[pos]
        else:
            mutated.insert(pos, byte)
    return bytes(mutated)
