from dlint.main import main

main()
