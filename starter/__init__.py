"""How people, scripts and services reach the journeys: the CLI, the admin tool, the API."""

# Whatever starts or shows a journey counts with the shipped calendars and pins released profiles.
import shipped  # noqa: F401
