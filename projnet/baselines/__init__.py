"""The plain alternatives a user would ship instead of a student, built and measured by projnet itself."""
