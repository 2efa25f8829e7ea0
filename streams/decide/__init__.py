"""Pure decisions of the join: state and one input (or the clock) in, new state and outputs out.

No I/O anywhere in this package.
"""
