"""PyInstaller entry point of the `cutline` executable: the same `editor.cli:main` as the console script.

One executable serves as CLI (`cutline doctor`, `cutline export ...`), as the window (`cutline`,
`cutline FILE...`), as `cutline --smoke-test`, and as the render child (`cutline --render-child ...`).
"""

import sys

from editor.cli import main

if __name__ == "__main__":
    sys.exit(main())
