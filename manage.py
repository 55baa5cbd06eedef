#!/usr/bin/env python
from palpa.cli import main

if __name__ == "__main__":
    main()
