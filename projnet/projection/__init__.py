"""The student: a bit projection of the input, then a few small Dense layers."""
