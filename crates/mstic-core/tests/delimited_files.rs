//! `Frame::read_file` picks the delimiter from the extension: `.tsv` and `.tab` are tab-separated
//! (commas inside fields stay in the field), `.csv` comma-separated.

use mstic_core::Frame;
use std::path::PathBuf;

/// A fresh folder for this test under the system temp folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-core-delimited-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TSV: &str = "Account\tCommandLine\tCount\n\
                   CONTOSO\\alice\tnet user alice /domain, then whoami\t3\n\
                   CONTOSO\\bob\tpowershell -c \"a,b,c\"\t12\n";

#[test]
fn tsv_and_tab_files_split_on_tabs_only() {
    let dir = scratch("tsv");
    for name in ["events.tsv", "events.TAB"] {
        let path = dir.join(name);
        std::fs::write(&path, TSV).unwrap();
        let frame = Frame::read_file(&path).unwrap();
        assert_eq!(frame.columns(), vec!["Account", "CommandLine", "Count"], "{name}");
        assert_eq!(
            frame.column_strings("CommandLine").unwrap(),
            vec![Some("net user alice /domain, then whoami".to_string()), Some("powershell -c \"a,b,c\"".to_string())],
            "{name}"
        );
        assert_eq!(frame.column_strings("Count").unwrap(), vec![Some("3".to_string()), Some("12".to_string())]);
        assert_eq!(frame.column_strings("Account").unwrap()[1].as_deref(), Some("CONTOSO\\bob"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_files_still_split_on_commas() {
    let dir = scratch("csv");
    let path = dir.join("events.csv");
    std::fs::write(&path, "Account,CommandLine\nalice,\"whoami, twice\"\n").unwrap();
    let frame = Frame::read_file(&path).unwrap();
    assert_eq!(frame.columns(), vec!["Account", "CommandLine"]);
    assert_eq!(frame.column_strings("CommandLine").unwrap(), vec![Some("whoami, twice".to_string())]);
    std::fs::remove_dir_all(&dir).unwrap();
}
