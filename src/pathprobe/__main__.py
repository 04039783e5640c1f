from pathprobe.cli.main import main

main()
