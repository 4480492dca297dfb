"""Hypothesis strategies shared by the tests."""

from hypothesis import strategies as st

# A value of any kind that an argument may wrongly (or rightly) be given.
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.lists(st.floats(), max_size=5),
)
