{
 "type": "FeatureCollection",
 "crs": null,
 "features": [
  {
   "type": "Feature",
   "properties": {
    "name": "Somewhere"
   },
   "geometry": {
    "type": "Point",
    "coordinates": [
     3.0573,
     50.6292
    ]
   }
  }
 ]
}