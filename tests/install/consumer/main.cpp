// Loads a scenario, runs it and prints the mean total cost and the closed form: the library's public API,
// from an installed tree.
#include <iomanip>
#include <iostream>

#include "cxrisk/loader.h"
#include "cxrisk/simulate.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const cxrisk::Scenario scenario = cxrisk::load_scenario(argv[1]);
  cxrisk::RunSettings settings;
  settings.trials = 2000;
  settings.threads = 1;
  const cxrisk::RunResult result = cxrisk::run(scenario, settings);
  std::cout << std::setprecision(17) << result.summary.total(cxrisk::total_cost).mean << " "
            << cxrisk::expect(scenario).total(cxrisk::customers_lost).mean << "\n";
  return 0;
}
