"""`python -m ganforge` (and torchrun -m ganforge) runs the command line."""

from ganforge.cli import main

if __name__ == "__main__":
    main()
