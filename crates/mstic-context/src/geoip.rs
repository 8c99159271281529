//! GeoLite2 geolocation from local `.mmdb` databases (MSTICPy's `GeoLiteLookup`): country, state,
//! city and coordinates from a City database, and the ASN from an optional ASN database.

use crate::geoip_download::{MAXMIND_DOWNLOAD_URL, MaxMindDownload, needs_download};
use crate::ip::{IpType, ip_type};
use arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
use maxminddb::{Reader, geoip2};
use mstic_core::config::{MsticConfig, expand_home};
use mstic_core::{Error, Frame, Result};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The City database file name MSTICPy looks for in `DBFolder`.
pub const CITY_DB_NAME: &str = "GeoLite2-City.mmdb";
/// The ASN database file name looked for beside it.
pub const ASN_DB_NAME: &str = "GeoLite2-ASN.mmdb";

/// Where an IP address is (MSTICPy's `GeoLocation` entity properties plus the ASN).
///
/// # Example
///
/// ```
/// use mstic_context::GeoRecord;
/// use mstic_context::geoip::geo_records_frame;
/// let record = GeoRecord { ip: "81.2.69.142".into(), country_code: Some("GB".into()), ..Default::default() };
/// let frame = geo_records_frame(&[record])?;
/// assert_eq!(frame.column_strings("CountryCode")?, [Some("GB".to_string())]);
/// assert_eq!(frame.column_strings("City")?, [None]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GeoRecord {
    /// The address looked up.
    pub ip: String,
    /// ISO 3166 country code (`GB`).
    pub country_code: Option<String>,
    /// English country name (`United Kingdom`); for non-public addresses `"<type> address"`.
    pub country_name: Option<String>,
    /// First subdivision (state, region).
    pub state: Option<String>,
    /// City name.
    pub city: Option<String>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    pub asn_org: Option<String>,
}

/// Geolocation of IP addresses from GeoLite2 `.mmdb` files. Cheap to clone (shared readers).
///
/// # Example
///
/// A lookup needs a GeoLite2 database, so this part is only compiled:
///
/// ```no_run
/// use mstic_context::GeoIpLookup;
/// let geo = GeoIpLookup::open_folder(std::path::Path::new("/data/maxmind"))?;
/// let record = geo.lookup("81.2.69.142")?;
/// assert_eq!(record.country_code.as_deref(), Some("GB"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// Opening a database that is not there fails with an error naming the file:
///
/// ```
/// use mstic_context::GeoIpLookup;
/// let missing = GeoIpLookup::open(std::path::Path::new("no-such-folder/GeoLite2-City.mmdb"), None);
/// assert!(missing.unwrap_err().to_string().contains("no-such-folder/GeoLite2-City.mmdb"));
/// ```
#[derive(Clone)]
pub struct GeoIpLookup {
    city: Arc<Reader<Vec<u8>>>,
    asn: Option<Arc<Reader<Vec<u8>>>>,
    city_path: PathBuf,
}

impl std::fmt::Debug for GeoIpLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIpLookup").field("city_db", &self.city_path).field("asn_db", &self.asn.is_some()).finish()
    }
}

impl GeoIpLookup {
    /// Opens a City database and, optionally, an ASN database; errors name the file.
    pub fn open(city_mmdb: &Path, asn_mmdb: Option<&Path>) -> Result<GeoIpLookup> {
        let open = |path: &Path| {
            Reader::open_readfile(path).map(Arc::new).map_err(|e| Error::file(path, format!("cannot open GeoIP database: {e}")))
        };
        Ok(GeoIpLookup {
            city: open(city_mmdb)?,
            asn: asn_mmdb.map(open).transpose()?,
            city_path: city_mmdb.to_path_buf(),
        })
    }

    /// Opens `GeoLite2-City.mmdb` (and `GeoLite2-ASN.mmdb` if present) in the folder named by
    /// `OtherProviders.GeoIPLite.Args.DBFolder` (MSTICPy's default `~/.msticpy`). With `AccountID`
    /// and `AuthKey` configured, a missing or 30-day-old database is downloaded from MaxMind first
    /// (`Args.BaseUrl` overrides the download URL); a failed refresh keeps the old file.
    pub fn from_config(config: &MsticConfig) -> Result<GeoIpLookup> {
        let entry = config.other_providers().into_iter().find(|p| {
            p.name.eq_ignore_ascii_case("GeoIPLite") || p.provider.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("GeoLiteLookup"))
        });
        let arg = |name: &str| -> Result<Option<String>> { Ok(entry.as_ref().map(|e| e.arg(name)).transpose()?.flatten()) };
        let folder = expand_home(&arg("DBFolder")?.unwrap_or_else(|| "~/.msticpy".to_string()));
        if let (Some(account_id), Some(license_key)) = (arg("AccountID")?, arg("AuthKey")?) {
            let download = MaxMindDownload {
                account_id,
                license_key,
                base_url: arg("BaseUrl")?.unwrap_or_else(|| MAXMIND_DOWNLOAD_URL.to_string()),
            };
            let city = folder.join(CITY_DB_NAME);
            if needs_download(&city)
                && let Err(error) = download.fetch("GeoLite2-City", &folder)
                && !city.is_file()
            {
                return Err(error);
            }
        }
        Self::open_folder(&folder)
    }

    /// Opens the GeoLite2 databases in `folder`.
    pub fn open_folder(folder: &Path) -> Result<GeoIpLookup> {
        let city = folder.join(CITY_DB_NAME);
        if !city.is_file() {
            return Err(Error::file(
                &city,
                "GeoLite2 City database not found; download it from MaxMind (free account) into \
                 OtherProviders.GeoIPLite.Args.DBFolder",
            ));
        }
        let asn = folder.join(ASN_DB_NAME);
        Self::open(&city, asn.is_file().then_some(asn.as_path()))
    }

    /// The location of one address. Non-public addresses get `"<type> address"` as the country
    /// name (MSTICPy's placeholder); addresses not in the database get empty fields.
    pub fn lookup(&self, ip: &str) -> Result<GeoRecord> {
        let text = ip.trim();
        let addr: IpAddr = text.parse().map_err(|_| Error::invalid("ip", format!("'{text}' is not an IP address")))?;
        let mut record = GeoRecord { ip: text.to_string(), ..Default::default() };
        let kind = ip_type(text);
        if kind != IpType::Public {
            record.country_name = Some(format!("{kind} address"));
            return Ok(record);
        }
        let db_error = |e: maxminddb::MaxMindDbError| Error::file(&self.city_path, format!("lookup of {text} failed: {e}"));
        if let Some(city) = self.city.lookup(addr).map_err(db_error)?.decode::<geoip2::City>().map_err(db_error)? {
            record.country_code = city.country.iso_code.map(str::to_string);
            record.country_name = city.country.names.english.map(str::to_string);
            record.state = city.subdivisions.first().and_then(|s| s.names.english).map(str::to_string);
            record.city = city.city.names.english.map(str::to_string);
            record.longitude = city.location.longitude;
            record.latitude = city.location.latitude;
        }
        if let Some(asn_db) = &self.asn
            && let Ok(result) = asn_db.lookup(addr)
            && let Ok(Some(asn)) = result.decode::<geoip2::Asn>()
        {
            record.asn = asn.autonomous_system_number;
            record.asn_org = asn.autonomous_system_organization.map(str::to_string);
        }
        Ok(record)
    }

    /// Locations of many addresses as a Frame with MSTICPy's `GeoLocation` columns (`IpAddress`,
    /// `CountryCode`, `CountryOrRegionName`, `State`, `City`, `Longitude`, `Latitude`, `Asn`,
    /// `AsnOrg`). Text that is not an address gives a row with empty fields.
    pub fn lookup_frame(&self, ips: &[String]) -> Result<Frame> {
        let records: Vec<GeoRecord> = ips
            .iter()
            .map(|ip| self.lookup(ip).unwrap_or_else(|_| GeoRecord { ip: ip.clone(), ..Default::default() }))
            .collect();
        geo_records_frame(&records)
    }
}

/// A Frame of [`GeoRecord`]s with MSTICPy's `GeoLocation` column names.
pub fn geo_records_frame(records: &[GeoRecord]) -> Result<Frame> {
    let text = |f: fn(&GeoRecord) -> Option<&str>| -> ArrayRef { Arc::new(records.iter().map(f).collect::<StringArray>()) };
    let float = |f: fn(&GeoRecord) -> Option<f64>| -> ArrayRef { Arc::new(records.iter().map(f).collect::<Float64Array>()) };
    Frame::from_columns(vec![
        ("IpAddress".into(), text(|r| Some(r.ip.as_str()))),
        ("CountryCode".into(), text(|r| r.country_code.as_deref())),
        ("CountryOrRegionName".into(), text(|r| r.country_name.as_deref())),
        ("State".into(), text(|r| r.state.as_deref())),
        ("City".into(), text(|r| r.city.as_deref())),
        ("Longitude".into(), float(|r| r.longitude)),
        ("Latitude".into(), float(|r| r.latitude)),
        ("Asn".into(), Arc::new(records.iter().map(|r| r.asn).collect::<UInt32Array>())),
        ("AsnOrg".into(), text(|r| r.asn_org.as_deref())),
    ])
}
