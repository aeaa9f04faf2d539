from gutskin.cli import main

main()
