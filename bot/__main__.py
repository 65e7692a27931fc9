"""Allow ``python -m bot`` as a synonym of the ``specbot`` command."""

from bot.cli import main

if __name__ == "__main__":
    main()
